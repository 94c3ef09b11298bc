import TapestryModel

/// A MAC the host's bridges know on a local port (learned, or a port's configured MAC).
public struct LocalMAC: Sendable, Equatable {
    public var bridge: String
    public var port: String
    public var vlan: VLANID
    public var mac: MACAddress
    public init(bridge: String, port: String, vlan: VLANID, mac: MACAddress) {
        self.bridge = bridge; self.port = port; self.vlan = vlan; self.mac = mac
    }
}

/// An IPv4 or IPv6 address the host's bridges saw a local MAC use (ARP and neighbour discovery
/// snooping, `--arp-suppress`).
public struct LocalIP: Sendable, Equatable {
    public var bridge: String
    public var vlan: VLANID
    public var mac: MACAddress
    public var ip: IPAddress
    public init(bridge: String, vlan: VLANID, mac: MACAddress, ip: IPAddress) {
        self.bridge = bridge; self.vlan = vlan; self.mac = mac; self.ip = ip
    }
}

/// Which MAC records a host should have in etcd, and the difference to what it has.
public enum ClusterMACPublisher {
    /// Records for the MACs on local ports of bridges that carry a segment of `host`: learned ones
    /// and the configured MACs of its tap ports (known before the VM says a word). Each carries the
    /// IPv4 and IPv6 addresses `ips` saw it use on the segment's bridge and VLAN (sorted; a MAC withdrawn
    /// takes its addresses with it).
    public static func wanted(host: String, view: ClusterView, learned: [LocalMAC], ips: [LocalIP] = []) -> [ClusterMACKey: ClusterMACRecord] {
        guard let part = view.hostFabrics[host] else { return [:] }
        var out: [ClusterMACKey: ClusterMACRecord] = [:]
        let record = ClusterMACRecord(host: host, vtep: part.underlay)
        var addresses: [String: [ClusterMACKey: [IPAddress]]] = [:]
        for a in ips where !a.mac.isMulticastOrZero {
            addresses[a.bridge, default: [:]][ClusterMACKey(segment: "", vlan: a.vlan, mac: a.mac), default: []].append(a.ip)
        }
        for s in view.segments(of: host) {
            guard let b = part.bridges.first(where: { $0.name == s.bridge }) else { continue }
            let localPorts = Set(b.ports.filter { $0.type != .vxlan && $0.type != .patch }.map(\.name))
            for p in b.ports where localPorts.contains(p.name) {
                guard let mac = p.mac, let vlan = p.segmentVLAN(s.vlan) else { continue }
                out[ClusterMACKey(segment: s.name, vlan: vlan, mac: mac)] = record
            }
            for m in learned where m.bridge == b.name && localPorts.contains(m.port) && (s.vlan == nil || s.vlan == m.vlan) {
                guard !m.mac.isMulticastOrZero else { continue }
                out[ClusterMACKey(segment: s.name, vlan: m.vlan, mac: m.mac)] = record
            }
            for (k, found) in addresses[s.bridge] ?? [:] {
                let key = ClusterMACKey(segment: s.name, vlan: k.vlan, mac: k.mac)
                guard out[key] != nil else { continue }
                let all = Set(found)
                out[key]?.ips = all.compactMap(\.ipv4).sorted()
                out[key]?.ip6s = all.filter { $0.family == .ipv6 }.sorted()
            }
        }
        return out
    }

    /// Puts (new or different) and deletes (ours, no longer wanted) to get from `view` to `wanted`.
    public static func diff(host: String, wanted: [ClusterMACKey: ClusterMACRecord], view: ClusterView)
        -> (put: [(ClusterMACKey, ClusterMACRecord)], delete: [ClusterMACKey]) {
        let put = wanted.filter { view.macs[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let delete = view.macs.filter { $0.value.host == host && wanted[$0.key] == nil }.map(\.key).sorted()
        return (put, delete)
    }
}

extension MACAddress {
    /// Group (multicast/broadcast) bit set, or all zero: never published.
    var isMulticastOrZero: Bool { rawValue == 0 || (rawValue >> 40) & 1 == 1 }
}
