/// Everything the user asked for: the bridges and their ports. Persisted as `config.json`;
/// learned MACs and counters are not part of it.
public struct DesiredState: Codable, Sendable, Equatable {
    /// The file format's version; bumped when the schema changes.
    public static let formatVersion = 1

    public var formatVersion: Int
    /// Incremented by every acknowledged change.
    public var generation: Int
    public var bridges: [BridgeConfig]
    /// libvirt-style networks (`net-define`/`net-create`); absent in older files, then empty.
    public var networks: [NetworkRecord]
    /// QoS and Queue rows kept for the ovs-vsctl front end; absent in older files, then empty.
    public var ovsRecords: [OVSRecord]

    public init(generation: Int = 0, bridges: [BridgeConfig] = [], networks: [NetworkRecord] = [], ovsRecords: [OVSRecord] = []) {
        self.formatVersion = DesiredState.formatVersion; self.generation = generation; self.bridges = bridges
        self.networks = networks; self.ovsRecords = ovsRecords
    }

    private enum CodingKeys: String, CodingKey { case formatVersion, generation, bridges, networks, ovsRecords }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        generation = try c.decode(Int.self, forKey: .generation)
        bridges = try c.decode([BridgeConfig].self, forKey: .bridges)
        networks = try c.decodeIfPresent([NetworkRecord].self, forKey: .networks) ?? []
        ovsRecords = try c.decodeIfPresent([OVSRecord].self, forKey: .ovsRecords) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(generation, forKey: .generation)
        try c.encode(bridges, forKey: .bridges)
        try c.encode(networks, forKey: .networks)
        if !ovsRecords.isEmpty { try c.encode(ovsRecords, forKey: .ovsRecords) }
    }

    public func bridge(named name: String) -> BridgeConfig? { bridges.first { $0.name == name } }

    /// The bridge that holds port `name`, if any.
    public func bridge(holdingPort name: String) -> BridgeConfig? { bridges.first { $0.port(named: name) != nil } }

    /// Checks the whole state: each bridge, and names unique across bridges and ports (all are netdev names).
    public func validate() throws(ModelError) {
        guard formatVersion == DesiredState.formatVersion else {
            throw ModelError("unsupported config format version \(formatVersion) (expected \(DesiredState.formatVersion))")
        }
        var names = Set<String>()
        var tunnels = Set<String>()
        for b in bridges {
            for p in b.ports {
                guard let v = p.vxlan else { continue }
                guard tunnels.insert("\(v.local?.description ?? "*"):\(v.dstPort)/\(v.vni)").inserted else {
                    throw ModelError("port \(p.name): another vxlan port already uses VNI \(v.vni) on UDP port \(v.dstPort)")
                }
            }
            try b.validate()
            guard names.insert(b.name).inserted else { throw ModelError("duplicate name \(b.name)") }
            for p in b.ports {
                // A port may carry its own bridge's name (a network's internal port, as Open vSwitch's local port).
                guard names.insert(p.name).inserted || p.name == b.name else { throw ModelError("duplicate name \(p.name)") }
            }
        }
        try validateBondMembers(names: names)
        try validatePatchPeers()
        try validateNetworks()
        try validateOVSRecords()
    }

    /// A bond's member is a netdev of its own: no port, bridge or other bond's member has its name.
    func validateBondMembers(names: Set<String>) throws(ModelError) {
        var owner: [String: String] = [:]
        for b in bridges {
            for p in b.ports {
                for m in p.bond?.members ?? [] {
                    if names.contains(m) { throw ModelError("bond \(p.name): member \(m) is also a port or bridge") }
                    if let other = owner[m] { throw ModelError("bond \(p.name): member \(m) is already a member of bond \(other)") }
                    owner[m] = p.name
                }
            }
        }
    }

    /// A patch port's peer, when it exists, is a patch port on another bridge whose peer is this
    /// port. A missing peer is allowed (the port drops what it would send until the peer is added).
    func validatePatchPeers() throws(ModelError) {
        var where_: [String: (PortConfig, String)] = [:]
        for b in bridges { for p in b.ports { where_[p.name] = (p, b.name) } }
        for b in bridges {
            for p in b.ports where p.type == .patch {
                guard let peerName = p.peer, let (peer, peerBridge) = where_[peerName] else { continue }
                guard peer.type == .patch, peer.peer == p.name else {
                    throw ModelError("port \(p.name): peer \(peerName) must be a patch port whose peer is \(p.name)")
                }
                guard peerBridge != b.name else {
                    throw ModelError("port \(p.name): peer \(peerName) is on the same bridge \(b.name); a patch pair joins two bridges")
                }
            }
        }
    }
}
