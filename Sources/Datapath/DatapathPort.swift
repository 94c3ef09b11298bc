/// A port as the datapath does I/O on it: its backend (the kind's I/O) and its counters.
/// The daemon owns the backend's fds and closes them only after the datapath has dropped the port.
public final class DatapathPort: Sendable {

    /// Whether frames are written to a device (not a tunnel, patch or vhost-user port); egress policy applies to these.
    var hasFD: Bool { !(backend is VXLANPortBackend || backend is PatchBackend || backend is VhostUserBackend) }
    public let name: String
    public let backend: any PortBackend
    public let counters: PortCounters

    public init(name: String, backend: any PortBackend, counters: PortCounters) {
        self.name = name; self.backend = backend; self.counters = counters
    }
}
