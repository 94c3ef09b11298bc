/// ARP suppression on a bridge (`tapestryd --arp-suppress` in a cluster): its local ports (not
/// vxlan, not patch) have their ARP snooped (sender IPv4 ↔ MAC), and a broadcast ARP request
/// from one of them for an IP in `bindings` is answered by the bridge itself instead of flooded.
public struct ARPSuppressionConfig: Codable, Sendable, Equatable {
    /// The IPv4 ↔ MAC bindings answered for, by VLAN (the cluster's other hosts' published ones).
    public var bindings: [ARPBinding]
    /// The IPv6 ↔ MAC bindings answered for (neighbour solicitations), by VLAN; absent in older files.
    public var neighbors: [NDBinding]

    public init(bindings: [ARPBinding] = [], neighbors: [NDBinding] = []) { self.bindings = bindings; self.neighbors = neighbors }

    private enum CodingKeys: String, CodingKey { case bindings, neighbors }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bindings = try c.decodeIfPresent([ARPBinding].self, forKey: .bindings) ?? []
        neighbors = try c.decodeIfPresent([NDBinding].self, forKey: .neighbors) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bindings, forKey: .bindings)
        if !neighbors.isEmpty { try c.encode(neighbors, forKey: .neighbors) }
    }

    /// Throws a clear error naming the bridge and binding when one is not usable.
    public func validate(bridge: String) throws(ModelError) {
        var seen = Set<ARPBinding.Key>()
        for b in bindings {
            guard b.mac.isValidSource else { throw ModelError("bridge \(bridge): ARP binding \(b.ip): MAC \(b.mac) must be unicast") }
            guard !b.ip.isUnspecified, !b.ip.isBroadcast, !b.ip.isMulticast else {
                throw ModelError("bridge \(bridge): ARP binding \(b.ip) is not a host address")
            }
            guard seen.insert(b.key).inserted else { throw ModelError("bridge \(bridge): ARP binding \(b.ip) on VLAN \(b.vlan) given twice") }
        }
        var seen6 = Set<NDBinding.Key>()
        for n in neighbors {
            guard n.ip.family == .ipv6, !n.ip.isMulticast, n.ip.high != 0 || n.ip.low != 0 else {
                throw ModelError("bridge \(bridge): neighbour binding \(n.ip) is not a unicast IPv6 address")
            }
            guard n.mac.isValidSource else { throw ModelError("bridge \(bridge): neighbour binding \(n.ip): MAC \(n.mac) must be unicast") }
            guard seen6.insert(n.key).inserted else { throw ModelError("bridge \(bridge): neighbour binding \(n.ip) on VLAN \(n.vlan) given twice") }
        }
    }
}

/// One IPv4 address and the MAC it is at, on a VLAN.
public struct ARPBinding: Codable, Sendable, Equatable {
    public var vlan: VLANID
    public var ip: IPv4Address
    public var mac: MACAddress

    public init(vlan: VLANID, ip: IPv4Address, mac: MACAddress) { self.vlan = vlan; self.ip = ip; self.mac = mac }

    /// What a binding answers for: its VLAN and IP.
    public struct Key: Hashable, Sendable { public var vlan: VLANID; public var ip: IPv4Address }
    public var key: Key { Key(vlan: vlan, ip: ip) }
}

/// One IPv6 address and the MAC it is at, on a VLAN (neighbour discovery suppression).
public struct NDBinding: Codable, Sendable, Equatable {
    public var vlan: VLANID
    public var ip: IPAddress
    public var mac: MACAddress

    public init(vlan: VLANID, ip: IPAddress, mac: MACAddress) { self.vlan = vlan; self.ip = ip; self.mac = mac }

    /// What a binding answers for: its VLAN and IP.
    public struct Key: Hashable, Sendable { public var vlan: VLANID; public var ip: IPAddress }
    public var key: Key { Key(vlan: vlan, ip: ip) }
}
