/// A port as the datapath does I/O on it: its backend (the kind's I/O) and its counters.
/// The daemon owns the backend's fds and closes them only after the datapath has dropped the port.
public final class DatapathPort: Sendable {

    /// Whether egress policy (shaping, impairments) applies: a device or a guest's receive queue, whose send may
    /// run when a held frame is due (not a tunnel, nor a patch port, whose frames only move inside a batch).
    var takesEgressPolicy: Bool { !(backend is VXLANPortBackend || backend is PatchBackend) }
    public let name: String
    public let backend: any PortBackend
    public let counters: PortCounters

    public init(name: String, backend: any PortBackend, counters: PortCounters) {
        self.name = name; self.backend = backend; self.counters = counters
    }
}
