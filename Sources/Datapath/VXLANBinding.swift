import SwitchCore
import TapestryModel

/// A vxlan port's binding to its tunnel: the shared tunnel socket, the VNI, and the remotes it
/// sends to, by their `TunnelRemoteKey` (an IPv4 remote's key is its address, host order; an
/// IPv6 remote's key is interned and `ipv6Addresses` maps it back for sending).
public final class VXLANBinding: Sendable {
    public let tunnel: VXLANTunnel
    public let vni: UInt32
    public let remotes: [UInt32]
    /// Remotes accepted on receive: the configured ones and those of static MAC entries.
    public let accepted: Set<UInt32>
    public let dstPort: UInt16
    /// Whether the underlay is IPv6 (then every key in `accepted` is in `ipv6Addresses`).
    public let isIPv6: Bool
    /// For an IPv6 underlay: each accepted remote's address, network order (16 bytes).
    let ipv6Addresses: [UInt32: IPv6Bytes]

    /// An IPv6 address in network order, kept as two words so that a send copies it without allocating.
    struct IPv6Bytes: Sendable {
        var high: UInt64
        var low: UInt64
        init(_ a: IPAddress) { high = a.high.bigEndian; low = a.low.bigEndian }
    }

    /// `remotes` and `accepted` must be of the tunnel's address family (the model validates that).
    public init(tunnel: VXLANTunnel, vni: UInt32, remotes: [IPAddress], accepted: Set<IPAddress>, dstPort: UInt16) {
        self.tunnel = tunnel; self.vni = vni; self.dstPort = dstPort
        let all = accepted.union(remotes).filter { $0.family == tunnel.local.family }
        var v6: [UInt32: IPv6Bytes] = [:]
        for a in all where a.family == .ipv6 {
            if let k = TunnelRemoteKey.key(for: a) { v6[k] = IPv6Bytes(a) }
        }
        self.remotes = remotes.filter { $0.family == tunnel.local.family }.compactMap(TunnelRemoteKey.key(for:))
        self.accepted = Set(all.compactMap(TunnelRemoteKey.key(for:)))
        isIPv6 = tunnel.local.family == .ipv6
        ipv6Addresses = v6
    }
}
