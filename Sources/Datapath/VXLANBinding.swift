/// A vxlan port's binding to its tunnel: the shared tunnel socket, the VNI, and the remotes it
/// sends to (IPv4, host order).
public final class VXLANBinding: Sendable {
    public let tunnel: VXLANTunnel
    public let vni: UInt32
    public let remotes: [UInt32]
    /// Remotes accepted on receive: the configured ones and those of static MAC entries.
    public let accepted: Set<UInt32>
    public let dstPort: UInt16

    public init(tunnel: VXLANTunnel, vni: UInt32, remotes: [UInt32], accepted: Set<UInt32>, dstPort: UInt16) {
        self.tunnel = tunnel; self.vni = vni; self.remotes = remotes; self.accepted = accepted.union(remotes)
        self.dstPort = dstPort
    }
}
