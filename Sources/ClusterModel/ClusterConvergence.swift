import TapestryModel

/// What a host should hold, given the cluster: pure, so the daemon, the simulated hosts of the
/// benchmark and the tests compute it the same way.
public enum ClusterConvergence {
    /// `current` with the bridges the cluster manages on `host` replaced by its part of the fabric
    /// (bridges it managed before and no longer has are removed; the host's own other bridges stay),
    /// and every MAC another host published on a segment this host carries installed as a static
    /// entry behind the segment's tunnel port, to that host's VTEP. With `arpSuppress`, every
    /// bridge that carries a segment suppresses ARP and neighbour discovery, answering for the IPv4 and IPv6 addresses of those
    /// MACs (an address two MACs claim on one VLAN is left out: flooded, not guessed). Returns the
    /// new managed set.
    public static func desired(current: DesiredState, host: String, view: ClusterView,
                               managed: Set<String>, arpSuppress: Bool = false) -> (state: DesiredState, managed: Set<String>) {
        let part = view.hostFabrics[host]
        var bridges = part?.bridges ?? []
        let nowManaged = Set(bridges.map(\.name))
        for i in bridges.indices {
            var bindings: [ARPBinding.Key: ARPBinding?] = [:]
            var neighbors: [NDBinding.Key: NDBinding?] = [:]
            var carries = false
            for s in view.segments(of: host) where s.bridge == bridges[i].name {
                carries = true
                install(view.macs, of: s, on: &bridges[i], host: host, underlay: part?.underlay)
                if arpSuppress {
                    collect(&bindings, &neighbors, from: view.macs, of: s, on: bridges[i], host: host, underlay: part?.underlay)
                }
            }
            if arpSuppress && carries {
                let answered = bindings.values.compactMap { $0 }.sorted { ($0.vlan.value, $0.ip) < ($1.vlan.value, $1.ip) }
                let answered6 = neighbors.values.compactMap { $0 }.sorted { ($0.vlan.value, $0.ip) < ($1.vlan.value, $1.ip) }
                bridges[i].arpSuppression = ARPSuppressionConfig(bindings: answered, neighbors: answered6)
            }
            bridges[i].staticMACs.sort { ($0.vlan.value, $0.mac.rawValue) < ($1.vlan.value, $1.mac.rawValue) }
        }
        var state = current
        state.bridges = current.bridges.filter { !managed.contains($0.name) && !nowManaged.contains($0.name) } + bridges
        return (state, nowManaged)
    }

    /// One pass over the records, a dictionary for the entries (a segment's MACs number in the
    /// thousands; a list search per record made convergence quadratic).
    private static func install(_ macs: [ClusterMACKey: ClusterMACRecord], of s: ClusterSegment, on bridge: inout BridgeConfig,
                                host: String, underlay: IPAddress?) {
        guard let tunnel = bridge.port(named: s.port), let remotes = tunnel.vxlan?.remotes else { return }
        let local = Set(bridge.ports.filter { $0.type != .vxlan }.compactMap(\.mac))
        let remoteSet = Set(remotes)
        var entries: [EntryKey: StaticMAC] = [:]
        for e in bridge.staticMACs { entries[EntryKey(mac: e.mac, vlan: e.vlan)] = e }
        for (k, r) in macs where k.segment == s.name && r.host != host && r.vtep != underlay {
            guard !local.contains(k.mac), remoteSet.contains(r.vtep), s.vlan == nil || s.vlan == k.vlan else { continue }
            entries[EntryKey(mac: k.mac, vlan: k.vlan)] = StaticMAC(mac: k.mac, vlan: k.vlan, port: s.port, remote: r.vtep)
        }
        bridge.staticMACs = Array(entries.values)
    }

    /// The IPv4 bindings of the other hosts' MACs on segment `s` (the same records `install` takes);
    /// an address already bound to another MAC becomes nil (ambiguous).
    private static func collect(_ bindings: inout [ARPBinding.Key: ARPBinding?], _ neighbors: inout [NDBinding.Key: NDBinding?],
                                from macs: [ClusterMACKey: ClusterMACRecord],
                                of s: ClusterSegment, on bridge: BridgeConfig, host: String, underlay: IPAddress?) {
        guard let remotes = bridge.port(named: s.port)?.vxlan?.remotes else { return }
        let remoteSet = Set(remotes)
        for (k, r) in macs where k.segment == s.name && !(r.ips.isEmpty && r.ip6s.isEmpty) && r.host != host && r.vtep != underlay {
            guard remoteSet.contains(r.vtep), s.vlan == nil || s.vlan == k.vlan, k.mac.isValidSource else { continue }
            for ip in r.ips where !ip.isUnspecified && !ip.isBroadcast && !ip.isMulticast {
                let b = ARPBinding(vlan: k.vlan, ip: ip, mac: k.mac)
                if let existing = bindings[b.key] {
                    if existing?.mac != k.mac { bindings[b.key] = .some(nil) }
                } else {
                    bindings[b.key] = b
                }
            }
            for ip in r.ip6s where ip.family == .ipv6 && !ip.isUnspecified && !ip.isMulticast {
                let b = NDBinding(vlan: k.vlan, ip: ip, mac: k.mac)
                if let existing = neighbors[b.key] {
                    if existing?.mac != k.mac { neighbors[b.key] = .some(nil) }
                } else {
                    neighbors[b.key] = b
                }
            }
        }
    }

    private struct EntryKey: Hashable { var mac: MACAddress; var vlan: VLANID }
}
