/// How a bridge forwards: by learned MAC addresses, or to every port like a hub.
public enum BridgeMode: String, Codable, Sendable, CaseIterable {
    case learning, hub
}

/// A MAC address pinned to a port: never ages, never evicted.
public struct StaticMAC: Codable, Sendable, Equatable {
    public var mac: MACAddress
    public var vlan: VLANID
    public var port: String
    /// For a vxlan port: the remote behind which the MAC lives.
    public var remote: IPAddress?
    public init(mac: MACAddress, vlan: VLANID, port: String, remote: IPAddress? = nil) {
        self.mac = mac; self.vlan = vlan; self.port = port; self.remote = remote
    }
}

/// One bridge as the user wants it: its mode, MAC table limits, ports and static MACs.
public struct BridgeConfig: Codable, Sendable, Equatable {
    public static let defaultMACAging = 300
    public static let defaultMACTableSize = 8192

    public var name: String
    public var mode: BridgeMode
    /// Seconds an unrefreshed learned entry lives.
    public var macAging: Int
    /// The most entries the MAC table holds.
    public var macTableSize: Int
    public var ports: [PortConfig]
    public var staticMACs: [StaticMAC]
    /// Port mirrors; absent in older files, then empty.
    public var mirrors: [MirrorConfig]
    /// Spanning tree (`set-br --stp`); nil: off. Absent in older files.
    public var stp: BridgeSTPConfig?
    /// ARP suppression (`tapestryd --arp-suppress`, set by the cluster agent); nil: off. Absent in older files.
    public var arpSuppression: ARPSuppressionConfig?

    public init(name: String, mode: BridgeMode = .learning, macAging: Int = BridgeConfig.defaultMACAging,
                macTableSize: Int = BridgeConfig.defaultMACTableSize, ports: [PortConfig] = [], staticMACs: [StaticMAC] = [],
                mirrors: [MirrorConfig] = []) {
        self.name = name; self.mode = mode; self.macAging = macAging; self.macTableSize = macTableSize
        self.ports = ports; self.staticMACs = staticMACs; self.mirrors = mirrors
    }

    private enum CodingKeys: String, CodingKey { case name, mode, macAging, macTableSize, ports, staticMACs, mirrors, stp, arpSuppression }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        mode = try c.decode(BridgeMode.self, forKey: .mode)
        macAging = try c.decode(Int.self, forKey: .macAging)
        macTableSize = try c.decode(Int.self, forKey: .macTableSize)
        ports = try c.decode([PortConfig].self, forKey: .ports)
        staticMACs = try c.decodeIfPresent([StaticMAC].self, forKey: .staticMACs) ?? []
        mirrors = try c.decodeIfPresent([MirrorConfig].self, forKey: .mirrors) ?? []
        stp = try c.decodeIfPresent(BridgeSTPConfig.self, forKey: .stp)
        arpSuppression = try c.decodeIfPresent(ARPSuppressionConfig.self, forKey: .arpSuppression)
    }

    public func port(named name: String) -> PortConfig? { ports.first { $0.name == name } }

    public func validate() throws(ModelError) {
        try InterfaceName.validate(name, what: "bridge name")
        guard (10...1_000_000).contains(macAging) else {
            throw ModelError("bridge \(name): MAC aging \(macAging) s out of range 10-1000000")
        }
        guard (16...1_000_000).contains(macTableSize) else {
            throw ModelError("bridge \(name): MAC table size \(macTableSize) out of range 16-1000000")
        }
        try stp?.validate(bridge: name)
        try arpSuppression?.validate(bridge: name)
        var seen = Set<String>()
        for p in ports {
            try p.validate()
            guard seen.insert(p.name).inserted else { throw ModelError("bridge \(name): duplicate port \(p.name)") }
        }
        var mirrorNames = Set<String>()
        for m in mirrors {
            try m.validate(on: self)
            guard mirrorNames.insert(m.name).inserted else { throw ModelError("bridge \(name): duplicate mirror \(m.name)") }
        }
        for s in staticMACs {
            guard seen.contains(s.port) else {
                throw ModelError("bridge \(name): static MAC \(s.mac) names unknown port \(s.port)")
            }
            guard s.mac.isValidSource else { throw ModelError("bridge \(name): static MAC \(s.mac) must be unicast") }
            if let remote = s.remote {
                guard let port = self.port(named: s.port), port.type == .vxlan else {
                    throw ModelError("bridge \(name): static MAC \(s.mac): --remote applies to vxlan ports only")
                }
                guard !remote.isUnspecified, !remote.isThisNetwork, !remote.isMulticast, !remote.isBroadcast else {
                    throw ModelError("bridge \(name): static MAC \(s.mac): remote \(remote) must be a unicast address")
                }
                if let v = port.vxlan, remote.family != v.underlayFamily {
                    throw ModelError("bridge \(name): static MAC \(s.mac): remote \(remote) is not of the address family of "
                        + "\(port.name)'s underlay (\(v.underlayFamily == .ipv6 ? "IPv6" : "IPv4"))")
                }
            }
        }
    }
}
