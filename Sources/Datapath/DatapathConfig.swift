import SwitchCore

/// The immutable configuration the datapath runs: for each bridge, its forwarding snapshot and
/// the I/O port of each slot. Built by the control path, adopted by every datapath thread between batches.
public final class DatapathConfig: Sendable {
    public struct Bridge: Sendable {
        public let forwarding: ForwardingSnapshot
        /// Aligned with `forwarding.ports`.
        public let ports: [DatapathPort]
        /// Where spanning tree BPDUs go when the bridge runs STP (nil: they are dropped as reserved-group).
        public let controlFrames: ControlFrameQueue?
        public init(forwarding: ForwardingSnapshot, ports: [DatapathPort], controlFrames: ControlFrameQueue? = nil) {
            precondition(forwarding.ports.count == ports.count, "datapath ports must match forwarding slots")
            self.forwarding = forwarding; self.ports = ports; self.controlFrames = controlFrames
        }
    }

    public let bridges: [Bridge]
    /// The VXLAN endpoints the bridges' tunnel ports use (each polled once per thread).
    public let tunnels: [VXLANTunnel]

    public init(bridges: [Bridge]) {
        self.bridges = bridges
        var seen = Set<ObjectIdentifier>()
        var list: [VXLANTunnel] = []
        for b in bridges {
            for p in b.ports {
                if let v = p.backend as? VXLANPortBackend, seen.insert(ObjectIdentifier(v.binding.tunnel)).inserted {
                    list.append(v.binding.tunnel)
                }
            }
        }
        tunnels = list
    }
    public static let empty = DatapathConfig(bridges: [])
}
