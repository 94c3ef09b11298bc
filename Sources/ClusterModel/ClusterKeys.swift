import TapestryModel

/// The cluster's key layout in etcd, all under `/tapestry/<cluster>/`:
///
/// ```
/// hosts/<host>                      ClusterHostRecord (bound to the host's lease: gone when it dies)
/// fabric/meta                       ClusterFabricMeta (written by every `cluster apply`)
/// fabric/lock                       held by an apply too large for one transaction (bound to its lease)
/// fabric/segments/<segment>         ClusterSegment
/// fabric/hosts/<host>               HostFabric (the host's bridges with their ports and tunnel ports)
/// macs/<segment>/<vlan>/<mac>       ClusterMACRecord (bound to the publishing host's lease)
/// ```
///
/// A host watches `fabric/` and `macs/<segment>/` of the segments it carries (`ClusterWatchPlan`);
/// the CLI reads the whole prefix.
public struct ClusterKeys: Sendable, Equatable {
    public let cluster: String
    public init(cluster: String) { self.cluster = cluster }

    public var root: String { "/tapestry/\(cluster)/" }
    public var hostsPrefix: String { root + "hosts/" }
    public var fabricPrefix: String { root + "fabric/" }
    public var fabricMeta: String { fabricPrefix + "meta" }
    public var fabricLock: String { fabricPrefix + "lock" }
    public var segmentsPrefix: String { fabricPrefix + "segments/" }
    public var hostFabricPrefix: String { fabricPrefix + "hosts/" }
    public var macsPrefix: String { root + "macs/" }

    public func host(_ name: String) -> String { hostsPrefix + name }
    public func segment(_ name: String) -> String { segmentsPrefix + name }
    public func hostFabric(_ name: String) -> String { hostFabricPrefix + name }
    public func macs(segment: String) -> String { macsPrefix + segment + "/" }
    public func mac(segment: String, vlan: VLANID, mac: MACAddress) -> String {
        macs(segment: segment) + "\(vlan.value)/\(mac)"
    }

    /// What a key under the root names.
    public enum Parsed: Sendable, Equatable {
        case host(String)
        case fabricMeta
        case fabricLock
        case segment(String)
        case hostFabric(String)
        case mac(segment: String, vlan: VLANID, mac: MACAddress)
        /// Not a key of this layout (written by hand, or by a newer version).
        case unknown(String)
    }

    public func parse(_ key: String) -> Parsed {
        guard key.hasPrefix(root) else { return .unknown(key) }
        let parts = key.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("hosts", 2) where ClusterNames.isValid(parts[1]): return .host(parts[1])
        case ("fabric", 2) where parts[1] == "meta": return .fabricMeta
        case ("fabric", 2) where parts[1] == "lock": return .fabricLock
        case ("fabric", 3) where parts[1] == "segments" && ClusterNames.isValid(parts[2]): return .segment(parts[2])
        case ("fabric", 3) where parts[1] == "hosts" && ClusterNames.isValid(parts[2]): return .hostFabric(parts[2])
        case ("macs", 4):
            guard ClusterNames.isValid(parts[1]), let v = Int(parts[2]), let vlan = VLANID(v),
                  let mac = MACAddress(parts[3]) else { return .unknown(key) }
            return .mac(segment: parts[1], vlan: vlan, mac: mac)
        default: return .unknown(key)
        }
    }
}

/// Names of clusters, hosts and segments: letters, digits, `-`, `_`, `.`; 1-63 bytes.
public enum ClusterNames {
    public static func isValid(_ name: String) -> Bool {
        // Bytes, not Unicode properties: every key a host receives is parsed (thousands per second).
        !name.isEmpty && name.utf8.count <= 63 && name != "." && name != ".."
            && name.utf8.allSatisfy { b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x2E
            }
    }

    /// Throws a clear error naming `what` when `name` is not valid.
    public static func check(_ name: String, _ what: String) throws(ClusterError) {
        guard isValid(name) else {
            throw ClusterError("\(what) '\(name)' is not a valid name (1-63 letters, digits, '-', '_', '.')")
        }
    }
}

/// A refused cluster operation or record, with what and where.
public struct ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
