import TapestryModel
import Topology

/// Turns a topology file into the cluster's fabric: its `hosts:` are cluster members by their
/// `--host-name`, each with `underlay:`; bridges and ports as on a single host (a port's `netns:`
/// names a namespace that exists on that host); segments become a tunnel port on each of their
/// hosts, to the others' underlays.
public enum ClusterFabricBuilder {
    public static func build(_ file: TopologyFile) throws(ClusterError) -> ClusterFabric {
        guard !file.implicitHost else {
            throw ClusterError("\(file.path): a cluster file names its hosts (hosts: {h1: {underlay: 10.0.0.11/24}, …})")
        }
        if let n = file.networks.first {
            throw ClusterError("\(file.path): network \(n.name): networks are not distributed through the cluster yet; define them on the host")
        }
        let model = LabModel(file: file, options: LabOptions(prefix: ""))
        var fabric = ClusterFabric()
        for h in model.hosts {
            guard let underlay = h.underlay?.address else {
                throw ClusterError("\(file.path): host \(h.name) has no underlay address (underlay: A.B.C.D/N)")
            }
            fabric.hosts[h.name] = HostFabric(host: h.name, underlay: IPAddress(underlay), bridges: h.bridges)
        }
        // Ports of nodes keep the namespaces the file names; the lab's own namespaces do not exist here.
        if let n = file.nodes.first {
            throw ClusterError("\(file.path): node \(n.name): nodes are lab namespaces; in a cluster give the port netns: (an existing namespace)")
        }
        // The file's MACs pinned behind tunnel ports are left to the hosts: each publishes what it has,
        // bound to its lease, so the MACs of a host that dies vanish from the others.
        let tunnels = Set(file.segments.map { file.tunnelPortName(of: $0) })
        for h in fabric.hosts.keys {
            for i in fabric.hosts[h]!.bridges.indices {
                fabric.hosts[h]!.bridges[i].staticMACs.removeAll { tunnels.contains($0.port) && $0.remote != nil }
            }
        }
        for s in file.segments {
            fabric.segments[s.name] = ClusterSegment(name: s.name, vni: file.vni(of: s), bridge: s.bridge, port: file.tunnelPortName(of: s),
                                                     vlan: s.vlan, dstPort: s.dstPort, hosts: file.hosts(of: s))
        }
        try fabric.validate()
        return fabric
    }
}
