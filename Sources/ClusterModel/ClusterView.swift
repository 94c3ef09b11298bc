/// What a host or the CLI knows of the cluster: the records under `/tapestry/<cluster>/`, read
/// once and kept current from a watch. A record that does not decode (a key written by hand with
/// garbage) is left out and named in `problems`, never fatal.
public struct ClusterView: Sendable, Equatable {
    public let keys: ClusterKeys
    public var hosts: [String: ClusterHostRecord] = [:]
    /// The lease each host's record is bound to.
    public var hostLeases: [String: Int64] = [:]
    public var meta: ClusterFabricMeta?
    /// `fabric/meta`'s mod revision: the revision of the last apply (0: never applied).
    public var fabricRevision: Int64 = 0
    public var segments: [String: ClusterSegment] = [:]
    public var hostFabrics: [String: HostFabric] = [:]
    public var macs: [ClusterMACKey: ClusterMACRecord] = [:]
    /// While an apply holds `fabric/lock` (one too large for one transaction), the segment and
    /// host-part changes it writes wait here, in order, and take effect together when it ends.
    public private(set) var held: [HeldChange]?
    /// Problems with records, by key (the latest for each key).
    public var problems: [String: String] = [:]
    /// When set, only this host's part of the fabric is decoded (a host needs no other part: at
    /// hundreds of hosts decoding every part on every host is most of the work of an apply).
    public let onlyHost: String?

    public init(keys: ClusterKeys, onlyHost: String? = nil) { self.keys = keys; self.onlyHost = onlyHost }

    /// What one change touched.
    public enum Change: Sendable, Equatable { case none, hosts, fabric, macs }

    /// Applies a put (`value` non-nil) or a delete of `key`; `modRevision` and `lease` as etcd says.
    @discardableResult
    public mutating func apply(key: String, value: [UInt8]?, modRevision: Int64 = 0, lease: Int64 = 0) -> Change {
        problems[key] = nil
        do throws(ClusterError) {
            switch keys.parse(key) {
            case .host(let h):
                hosts[h] = try value.map { v throws(ClusterError) in try ClusterCodec.decode(ClusterHostRecord.self, v, key: key) }
                hostLeases[h] = value == nil ? nil : lease
                return .hosts
            case .fabricLock:
                if value != nil {
                    if held == nil { held = [] }
                    return .none
                }
                let waiting = held ?? []
                held = nil
                for w in waiting { apply(key: w.key, value: w.value, modRevision: w.modRevision) }
                return .fabric
            case .segment where held != nil, .hostFabric where held != nil:
                held?.append(HeldChange(key: key, value: value, modRevision: modRevision))
                return .none
            case .fabricMeta:
                meta = try value.map { v throws(ClusterError) in try ClusterCodec.decode(ClusterFabricMeta.self, v, key: key) }
                fabricRevision = value == nil ? 0 : modRevision
                return .fabric
            case .segment(let s):
                let seg = try value.map { v throws(ClusterError) in try ClusterCodec.decode(ClusterSegment.self, v, key: key) }
                if let seg, seg.name != s { throw ClusterError("key \(key): holds segment '\(seg.name)'") }
                segments[s] = seg
                return .fabric
            case .hostFabric(let h) where onlyHost != nil && onlyHost != h:
                return .none
            case .hostFabric(let h):
                let f = try value.map { v throws(ClusterError) in try ClusterCodec.decode(HostFabric.self, v, key: key) }
                if let f, f.host != h { throw ClusterError("key \(key): holds host '\(f.host)'") }
                if let f { try HostFabricCheck.validate(f, key: key) }
                hostFabrics[h] = f
                return .fabric
            case .mac(let segment, let vlan, let mac):
                let k = ClusterMACKey(segment: segment, vlan: vlan, mac: mac)
                macs[k] = try value.map { v throws(ClusterError) in try ClusterCodec.decode(ClusterMACRecord.self, v, key: key) }
                return .macs
            case .unknown:
                if value != nil { problems[key] = "key \(key): not a key of the cluster layout (ignored)" }
                return .none
            }
        } catch {
            problems[key] = error.description
            // The bad record counts as absent.
            _ = apply(key: key, value: nil)
            problems[key] = error.description
            return .fabric
        }
    }

    /// Replaces the MAC records of `segment` with `kvs` (a fresh read of `macs/<segment>/`).
    public mutating func replaceMACs(segment: String, with kvs: [(key: String, value: [UInt8])]) {
        dropMACs(segment: segment)
        for kv in kvs { apply(key: kv.key, value: kv.value) }
    }

    /// Forgets the MAC records of `segment` (a host that no longer carries it stops watching them).
    public mutating func dropMACs(segment: String) {
        macs = macs.filter { $0.key.segment != segment }
        let prefix = keys.macs(segment: segment)
        problems = problems.filter { !$0.key.hasPrefix(prefix) }
    }

    /// The fabric as stored (for plans and status).
    public var fabric: ClusterFabric {
        ClusterFabric(segments: segments, hosts: hostFabrics)
    }

    /// The segments `host` carries.
    public func segments(of host: String) -> [ClusterSegment] {
        segments.values.filter { $0.hosts.contains(host) }.sorted { $0.name < $1.name }
    }
}

/// A change of the fabric written while an apply held the lock.
public struct HeldChange: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]?
    public var modRevision: Int64
}

/// Checks a host's part as read from etcd before it goes near the reconciler.
enum HostFabricCheck {
    static func validate(_ f: HostFabric, key: String) throws(ClusterError) {
        for b in f.bridges {
            do { try b.validate() } catch { throw ClusterError("key \(key): bridge \(b.name): \(error)") }
        }
        var networks = Set<String>()
        let bridgeNames = Set(f.bridges.map(\.name))
        for n in f.networks {
            try n.validate(key: key)
            guard networks.insert(n.name).inserted else { throw ClusterError("\(key): network \(n.name) is given twice") }
            if let b = n.bridgeName, bridgeNames.contains(b) {
                throw ClusterError("\(key): network \(n.name): its bridge \(b) is also a bridge of the host's part")
            }
        }
    }
}
