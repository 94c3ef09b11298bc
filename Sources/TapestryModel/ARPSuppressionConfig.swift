/// ARP suppression on a bridge (`tapestryd --arp-suppress` in a cluster): its local ports (not
/// vxlan, not patch) have their ARP snooped (sender IPv4 ↔ MAC), and a broadcast ARP request
/// from one of them for an IP in `bindings` is answered by the bridge itself instead of flooded.
public struct ARPSuppressionConfig: Codable, Sendable, Equatable {
    /// The IPv4 ↔ MAC bindings answered for, by VLAN (the cluster's other hosts' published ones).
    public var bindings: [ARPBinding]

    public init(bindings: [ARPBinding] = []) { self.bindings = bindings }

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
