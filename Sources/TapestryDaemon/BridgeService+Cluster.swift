import ClusterModel
import TapestryModel

/// What the cluster agent needs of the bridges: the MACs learned on local ports, and commits of
/// the state the cluster wants.
extension BridgeService {
    /// MACs learned (not static) on ports of `bridges` that are not tunnel or patch ports.
    func learnedMACs(on bridges: Set<String>) -> [LocalMAC] {
        read { state, reconciler in
            let names = reconciler.namesByID
            var local: [String: Set<String>] = [:]
            for b in state.bridges where bridges.contains(b.name) {
                local[b.name] = Set(b.ports.filter { $0.type != .vxlan && $0.type != .patch }.map(\.name))
            }
            return datapath.perform { access -> [LocalMAC] in
                var out: [LocalMAC] = []
                for (bridge, ports) in local {
                    guard let engine = access.engine(bridge) else { continue }
                    for e in engine.table.entries() where !e.isStatic && e.remote == 0 {
                        guard let port = names[e.port], ports.contains(port), let vlan = VLANID(Int(e.vlan)) else { continue }
                        out.append(LocalMAC(bridge: bridge, port: port, vlan: vlan, mac: e.mac))
                    }
                }
                return out
            }
        }
    }

    /// IPv4 and IPv6 addresses snooped from ARP and neighbour discovery (`--arp-suppress`) on local ports of `bridges`.
    func snoopedIPs(on bridges: Set<String>) -> [LocalIP] {
        let names = Array(bridges)
        return datapath.perform { access -> [LocalIP] in
            var out: [LocalIP] = []
            for bridge in names {
                guard let engine = access.engine(bridge) else { continue }
                for e in engine.arpSnoop.all() {
                    guard let vlan = VLANID(Int(e.vlan)) else { continue }
                    out.append(LocalIP(bridge: bridge, vlan: vlan, mac: e.mac, ip: IPAddress(e.ip)))
                }
                for e in engine.arpSnoop.allNeighbors() {
                    guard let vlan = VLANID(Int(e.vlan)) else { continue }
                    out.append(LocalIP(bridge: bridge, vlan: vlan, mac: e.mac, ip: e.ip))
                }
            }
            return out
        }
    }
}
