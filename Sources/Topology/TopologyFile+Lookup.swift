import TapestryModel

/// Derived facts the validator and the lab model share: which host each object is on, chosen VNIs.
extension TopologyFile {
    public var hostNames: [String] { hosts.map(\.name) }

    /// The hosts a bridge is on: as given, else every host.
    public func hosts(of bridge: BridgeSpec) -> [String] { bridge.hosts ?? hostNames }

    /// The host a port of a bridge is on: its own `host`, else the bridge's only host.
    public func host(of port: PortSpec, on bridge: BridgeSpec) -> String? {
        if let h = port.host { return h }
        let hs = hosts(of: bridge)
        return hs.count == 1 ? hs[0] : nil
    }

    /// The host of a network: as given, else the only host.
    public func host(of network: NetworkSpec) -> String? {
        network.host ?? (hosts.count == 1 ? hosts[0].name : nil)
    }

    /// A tap or other port by name on `host`, on a bridge or on a network.
    public func port(named name: String, on host: String) -> (port: PortSpec, bridge: String?, network: String?)? {
        for b in bridges where hosts(of: b).contains(host) {
            if let p = b.ports.first(where: { $0.name == name && self.host(of: $0, on: b) == host }) { return (p, b.name, nil) }
        }
        for n in networks where self.host(of: n) == host {
            if let p = n.ports.first(where: { $0.name == name }) { return (p, nil, n.name) }
        }
        return nil
    }

    /// The host a node is on: as given, else the only host, else the one host with a port of that name.
    public func host(of node: NodeSpec) -> String? {
        if let h = node.host { return h }
        if hosts.count == 1 { return hosts[0].name }
        guard let p = node.port else { return nil }
        let candidates = hostNames.filter { port(named: p, on: $0) != nil }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// The namespace a node lives in.
    public func namespace(of node: NodeSpec) -> String { node.namespace ?? "\(name)-\(node.name)" }

    /// The namespace of the lab underlay (a kernel bridge joining lab hosts).
    public var underlayNamespace: String { "\(name)-underlay" }

    /// Lab hosts with an underlay address: those `apply` joins to the lab underlay.
    public var underlayHosts: [HostSpec] { hosts.filter { $0.access.isLab && $0.underlay != nil } }

    /// The hosts a segment spans: as given, else every host of its bridge.
    public func hosts(of segment: SegmentSpec) -> [String] {
        if let h = segment.hosts { return h }
        guard let b = bridges.first(where: { $0.name == segment.bridge }) else { return [] }
        return hosts(of: b)
    }

    /// The segment's VNI: as given, else one derived from its name (10000-99999), stable across edits of other segments.
    public func vni(of segment: SegmentSpec) -> Int {
        segment.vni ?? 10_000 + Int(fnv1a(name + "/" + segment.name) % 90_000)
    }

    /// The tunnel port a segment adds on each of its hosts.
    public func tunnelPortName(of segment: SegmentSpec) -> String { "vx\(vni(of: segment))" }
}

/// FNV-1a, 64 bits: a small stable hash for chosen VNIs and generated MACs.
func fnv1a(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
