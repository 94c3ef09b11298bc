import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// A cluster whose hosts' underlays are IPv6 (`tapestryd --underlay fd00:77::2N`, the file's
/// `underlay: "fd00:77::2N/64"`): the hosts register and converge, the segment's tunnels are
/// VXLAN over IPv6, and VMs on different hosts reach each other.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && EtcdTestCluster.isAvailable, "needs root, ip netns and etcd-server"))
struct ClusterIPv6UnderlayTests {
    @Test func vmsPingAcrossHostsOverAnIPv6Underlay() throws {
        let lab = try ClusterTests.Lab("cl6", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")], ipv6: true)
        defer { lab.close() }
        let apply = lab.cluster("apply", lab.file, "--wait", "5")
        try #require(apply.ok, "cluster apply: \(apply)\n\(lab.daemons.map(\.log).joined(separator: "\n"))")
        let status = try lab.status()
        #expect(status.hosts.allSatisfy { $0.alive && $0.converged }, "\(status)")
        #expect(status.segments.first?.vteps.sorted() == ["fd00:77::21", "fd00:77::22"], "\(status)")
        try lab.addresses()
        // The pings cross as VXLAN over IPv6 (h2's underlay link sees them as such, none over IPv4).
        var pinged = false
        let seen = lab.world.capture(lab.hosts[1], "eth0", filter: "udp port 4789") {
            pinged = lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2")
        }
        #expect(pinged, "vm1 → vm2 over the IPv6 underlay:\n\(lab.daemons.map(\.log).joined(separator: "\n"))")
        // (tcpdump prints the inner frame on the line after the outer header.)
        let tunnelled = seen.filter { $0.contains("fd00:77::21.") && $0.contains("> fd00:77::22.4789: VXLAN") && $0.contains("vni 100") }
        #expect(tunnelled.count >= 3, "\(seen.prefix(6))")
        #expect(seen.contains { $0.contains("192.168.77.1 > 192.168.77.2: ICMP echo request") }, "\(seen.prefix(6))")
        #expect(!seen.contains { $0.contains("10.77.0.") }, "\(seen.prefix(6))")
        let entry = try lab.fdb(1, "br0").entries.first { $0.mac.description == lab.mac("vm2") }
        #expect(entry?.remote == IPAddress(strict: "fd00:77::22"), "\(String(describing: entry))")
    }

    @Test func aBadUnderlayIsRefusedAtStart() throws {
        let world = NetnsWorld("cl7")
        defer { world.close() }
        let ns = world.namespace("h")
        for (bad, why) in [("fe80::1", "link-local"), ("ff02::1", "multicast"), ("2001:db8::zz", "expected an IPv4 or IPv6 address")] {
            let out = world.exec(ns, "\(NetnsWorld.binDirectory)/tapestryd --cluster etcd://127.0.0.1:2379 --host-name h --underlay \(bad) --state-dir \(world.tempDirectory)/s --run-dir \(world.tempDirectory)/r", timeout: 10)
            #expect(!out.ok && out.stderr.contains("invalid --underlay '\(bad)'") && out.stderr.contains(why), "\(bad): \(out)")
        }
    }
}
