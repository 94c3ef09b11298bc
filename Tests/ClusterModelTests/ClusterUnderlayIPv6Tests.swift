import ClusterModel
import TapestryModel
import Testing
import Topology

/// A cluster file with IPv6 underlays: IPv6 tunnels in the hosts' parts, a segment mixing
/// families refused naming the host, IPv4 records as before.
struct ClusterUnderlayIPv6Tests {
    @Test func clusterFilesTakeIPv6UnderlaysAndRefuseMixedSegments() throws {
        let text = """
            version: 1
            name: c
            hosts:
              a: {underlay: "fd00:46::1/64"}
              b: {underlay: "fd00:46::2/64"}
            bridges:
              br0:
                ports:
                  vm1: {host: a, mtu: 1430, netns: vm1}
                  vm2: {host: b, mtu: 1430, netns: vm2}
            segments:
              blue: {bridge: br0, vni: 46}
            """
        let fabric = try ClusterFabricBuilder.build(try TopologyParser.parse(text, path: "c.yaml"))
        #expect(fabric.hosts["a"]?.underlay == IPAddress(strict: "fd00:46::1"))
        #expect(fabric.hosts["a"]?.bridges.first?.port(named: "vx46")?.vxlan?.remotes == [IPAddress(strict: "fd00:46::2")!])
        var mixed = fabric
        mixed.hosts["b"]?.underlay = IPAddress("10.0.0.2")!
        #expect(throws: ClusterError("segment blue: host b's underlay 10.0.0.2 is IPv4 but host a's is IPv6; a segment's tunnels use one address family")) {
            try mixed.validate()
        }
        // The record of an IPv4 host reads and writes as before.
        let v4 = HostFabric(host: "h", underlay: IPAddress("10.0.0.1")!, bridges: [])
        #expect(String(decoding: ClusterCodec.encode(v4), as: UTF8.self) == #"{"bridges":[],"host":"h","underlay":"10.0.0.1"}"#)
    }
}
