import TapestryModel

/// A live member as it registers itself under `hosts/<host>` (bound to its lease).
public struct ClusterHostRecord: Codable, Sendable, Equatable {
    /// The address its tunnels use (its VTEP).
    public var underlay: IPAddress
    /// tapestryd's version.
    public var version: String
    /// The revision of the fabric (`fabric/meta`'s mod revision) it last converged to; 0: not yet.
    public var appliedRevision: Int64
    /// The error of its last convergence, if it failed.
    public var error: String?

    public init(underlay: IPAddress, version: String, appliedRevision: Int64 = 0, error: String? = nil) {
        self.underlay = underlay; self.version = version; self.appliedRevision = appliedRevision; self.error = error
    }
}

/// A VXLAN segment of the fabric: which bridge it stretches, its VNI and tunnel port, its hosts.
public struct ClusterSegment: Codable, Sendable, Equatable {
    public var name: String
    public var vni: Int
    public var bridge: String
    /// The tunnel port each of its hosts has on `bridge`.
    public var port: String
    /// Carries only this VLAN; nil: every VLAN.
    public var vlan: VLANID?
    public var dstPort: Int
    public var hosts: [String]

    public init(name: String, vni: Int, bridge: String, port: String, vlan: VLANID? = nil, dstPort: Int = 4789, hosts: [String]) {
        self.name = name; self.vni = vni; self.bridge = bridge; self.port = port; self.vlan = vlan
        self.dstPort = dstPort; self.hosts = hosts
    }
}

/// One host's part of the fabric: its underlay, its bridges with their ports (tunnel ports
/// included) and its libvirt-style networks. A part without networks is stored without the field
/// (the records of earlier versions, byte for byte).
public struct HostFabric: Codable, Sendable, Equatable {
    public var host: String
    public var underlay: IPAddress
    public var bridges: [BridgeConfig]
    public var networks: [ClusterNetwork]

    public init(host: String, underlay: IPAddress, bridges: [BridgeConfig], networks: [ClusterNetwork] = []) {
        self.host = host; self.underlay = underlay; self.bridges = bridges; self.networks = networks
    }

    private enum CodingKeys: String, CodingKey { case host, underlay, bridges, networks }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decode(String.self, forKey: .host)
        underlay = try c.decode(IPAddress.self, forKey: .underlay)
        bridges = try c.decode([BridgeConfig].self, forKey: .bridges)
        networks = try c.decodeIfPresent([ClusterNetwork].self, forKey: .networks) ?? []
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(underlay, forKey: .underlay)
        try c.encode(bridges, forKey: .bridges)
        if !networks.isEmpty { try c.encode(networks, forKey: .networks) }
    }
}

/// Written by every `cluster apply`: where the fabric came from and what it holds.
public struct ClusterFabricMeta: Codable, Sendable, Equatable {
    public var source: String
    public var hosts: [String]
    public var segments: [String]

    public init(source: String, hosts: [String], segments: [String]) {
        self.source = source; self.hosts = hosts; self.segments = segments
    }
}

/// A MAC published by the host it sits on (bound to that host's lease): its VTEP, and the IPv4
/// and IPv6 addresses seen from it (for ARP and neighbour discovery suppression).
public struct ClusterMACRecord: Codable, Sendable, Equatable {
    public var host: String
    public var vtep: IPAddress
    public var ips: [IPv4Address]
    /// The IPv6 addresses seen from it (neighbour discovery suppression); not written when empty.
    public var ip6s: [IPAddress]

    public init(host: String, vtep: IPAddress, ips: [IPv4Address] = [], ip6s: [IPAddress] = []) {
        self.host = host; self.vtep = vtep; self.ips = ips; self.ip6s = ip6s
    }

    private enum CodingKeys: String, CodingKey { case host, vtep, ips, ip6s }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decode(String.self, forKey: .host)
        vtep = try c.decode(IPAddress.self, forKey: .vtep)
        ips = try c.decodeIfPresent([IPv4Address].self, forKey: .ips) ?? []
        ip6s = try c.decodeIfPresent([IPAddress].self, forKey: .ip6s) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(vtep, forKey: .vtep)
        try c.encode(ips, forKey: .ips)
        if !ip6s.isEmpty { try c.encode(ip6s, forKey: .ip6s) }
    }
}

/// The key of a published MAC: segment, VLAN and MAC.
public struct ClusterMACKey: Hashable, Sendable, Comparable {
    public var segment: String
    public var vlan: VLANID
    public var mac: MACAddress
    public init(segment: String, vlan: VLANID, mac: MACAddress) { self.segment = segment; self.vlan = vlan; self.mac = mac }

    public static func < (a: ClusterMACKey, b: ClusterMACKey) -> Bool {
        (a.segment, a.vlan, a.mac) < (b.segment, b.vlan, b.mac)
    }
}
