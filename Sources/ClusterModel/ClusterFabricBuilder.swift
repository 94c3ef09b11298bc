import TapestryModel
import Topology

/// Turns a topology file into the cluster's fabric: its `hosts:` are cluster members by their
/// `--host-name`, each with `underlay:`; bridges and ports as on a single host (a port's `netns:`
/// names a namespace that exists on that host); each host's `networks:` (with their ports) go
/// into its part; segments become a tunnel port on each of their hosts, to the others' underlays.
public enum ClusterFabricBuilder {
    public static func build(_ file: TopologyFile) throws(ClusterError) -> ClusterFabric {
        guard !file.implicitHost else {
            throw ClusterError("\(file.path): a cluster file names its hosts (hosts: {h1: {underlay: 10.0.0.11/24}, …})")
        }
        // Nodes are namespaces `tapestry apply` creates on the machine it runs on (with their addresses
        // and DHCP clients); a cluster apply only writes etcd, and the hosts' daemons create no VMs.
        if let n = file.nodes.first {
            throw ClusterError("\(file.path): node \(n.name): nodes are lab namespaces that `tapestry apply` creates on its own machine; "
                + "a cluster apply only writes the fabric to etcd, so create the VM's namespace on its host and give its port netns: NAME")
        }
        let model = LabModel(file: file, options: LabOptions(prefix: ""))
        var fabric = ClusterFabric()
        for h in model.hosts {
            guard let underlay = h.underlay?.address else {
                throw ClusterError("\(file.path): host \(h.name) has no underlay address (underlay: A.B.C.D/N or an IPv6 address)")
            }
            let networks = h.networks.map { ClusterNetwork(name: $0.name, xml: $0.xml, autostart: $0.autostart, ports: $0.ports) }
            fabric.hosts[h.name] = HostFabric(host: h.name, underlay: underlay, bridges: h.bridges, networks: networks)
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
