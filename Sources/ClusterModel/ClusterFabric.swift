import TapestryModel

/// The fabric: segments and each host's part. Written by `cluster apply` in one transaction.
public struct ClusterFabric: Sendable, Equatable {
    public var segments: [String: ClusterSegment]
    public var hosts: [String: HostFabric]

    public init(segments: [String: ClusterSegment] = [:], hosts: [String: HostFabric] = [:]) {
        self.segments = segments; self.hosts = hosts
    }

    /// Checks the fabric as a whole: names, VNIs used once, each segment's hosts and bridge known,
    /// underlays distinct, and every host's bridges valid.
    public func validate() throws(ClusterError) {
        var vnis: [Int: String] = [:]
        for s in segments.values.sorted(by: { $0.name < $1.name }) {
            try ClusterNames.check(s.name, "segment")
            guard VXLANConfig.vniRange.contains(s.vni) else { throw ClusterError("segment \(s.name): VNI \(s.vni) is out of range 0-16777215") }
            if let other = vnis[s.vni] { throw ClusterError("segment \(s.name): VNI \(s.vni) is already used by segment \(other)") }
            vnis[s.vni] = s.name
            var family: (IPAddress.Family, String)?
            for h in s.hosts {
                guard let f = hosts[h] else { throw ClusterError("segment \(s.name): no host named '\(h)' in the fabric") }
                guard f.bridges.contains(where: { $0.name == s.bridge }) else {
                    throw ClusterError("segment \(s.name): host \(h) has no bridge \(s.bridge)")
                }
                if let (first, other) = family, first != f.underlay.family {
                    throw ClusterError("segment \(s.name): host \(h)'s underlay \(f.underlay) is \(Self.name(f.underlay.family)) but host \(other)'s is \(Self.name(first)); a segment's tunnels use one address family")
                }
                if family == nil { family = (f.underlay.family, h) }
            }
        }
        var underlays: [IPAddress: String] = [:]
        for f in hosts.values.sorted(by: { $0.host < $1.host }) {
            try ClusterNames.check(f.host, "host")
            if let other = underlays[f.underlay] { throw ClusterError("host \(f.host): underlay \(f.underlay) is also host \(other)'s") }
            underlays[f.underlay] = f.host
            try HostFabricCheck.validate(f, key: "host \(f.host)")
        }
    }

    static func name(_ f: IPAddress.Family) -> String { f == .ipv6 ? "IPv6" : "IPv4" }

    /// Checks the fabric against the live members: every host must be registered, with the same underlay.
    public func check(against members: [String: ClusterHostRecord], cluster: String) throws(ClusterError) {
        for f in hosts.values.sorted(by: { $0.host < $1.host }) {
            guard let m = members[f.host] else {
                let known = members.keys.sorted().joined(separator: ", ")
                throw ClusterError("host \(f.host) is not a member of cluster \(cluster) (members: \(known.isEmpty ? "none" : known)); start its tapestryd with --cluster-name \(cluster) --host-name \(f.host)")
            }
            guard m.underlay == f.underlay else {
                throw ClusterError("host \(f.host): the file gives underlay \(f.underlay) but the host registered \(m.underlay)")
            }
        }
    }

    /// Every key and value the fabric is stored as, sorted by key.
    public func keyValues(_ keys: ClusterKeys, meta: ClusterFabricMeta) -> [(key: String, value: [UInt8])] {
        var out: [(String, [UInt8])] = [(keys.fabricMeta, ClusterCodec.encode(meta))]
        for s in segments.values { out.append((keys.segment(s.name), ClusterCodec.encode(s))) }
        for h in hosts.values { out.append((keys.hostFabric(h.host), ClusterCodec.encode(h))) }
        return out.sorted { $0.0 < $1.0 }
    }
}
