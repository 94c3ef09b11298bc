/// A port as the datapath does I/O on it: an fd that carries virtio-net-header-prefixed frames.
/// The daemon owns the fd and closes it only after the datapath has dropped the port.
public final class DatapathPort: Sendable {
    public enum Kind: Sendable {
        /// A tap fd (IFF_VNET_HDR): read/write one frame per call.
        case tap
        /// An AF_PACKET socket (PACKET_VNET_HDR, PACKET_AUXDATA): recvmmsg batches; tags may come as metadata.
        case packet
        /// A VXLAN tunnel port: frames are encapsulated to the binding's remotes; `fd` is unused.
        case vxlan(VXLANBinding)
        /// A vhost-user port: frames move through the guest's virtqueues in shared memory; `fd` is unused
        /// (the transmit queues' kick eventfds are watched instead).
        case vhostUser(VhostUserPort)
    }

    public let name: String
    public let fd: Int32
    public let kind: Kind
    public let counters: PortCounters

    /// Whether frames are written to `fd` (not a tunnel or vhost-user port).
    var hasFD: Bool {
        switch kind {
        case .vxlan, .vhostUser: false
        default: true
        }
    }

    public init(name: String, fd: Int32, kind: Kind, counters: PortCounters) {
        self.name = name; self.fd = fd; self.kind = kind; self.counters = counters
    }
}
