import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A topology file's libvirt-style networks through `cluster apply`: the host they are on defines
/// and starts them (bridge, gateway address, nft, dnsmasq) with their ports, a VM on one gets a
/// lease and reaches its gateway, and an apply without the network destroys it there.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && EtcdTestCluster.isAvailable, "needs root, ip netns and etcd-server"))
struct ClusterNetworkTests {
    @Test func aNATNetworkIsRealizedOnItsHostAndRemovedWithIt() throws {
        let lab = try ClusterTests.Lab("cln", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")])
        defer { lab.close() }
        let vm = lab.world.namespace("vmn")
        let plain = try String(contentsOfFile: lab.file, encoding: .utf8)
        let withNetwork = lab.world.tempDirectory + "/network.yaml"
        try (plain + """
            networks:
              nat1:
                host: h1
                forward: nat
                bridge: cnat1
                ipv4: {address: 192.168.91.1/24, dhcp: {range: 192.168.91.10-192.168.91.20}}
                ports:
                  vmn: {netns: \(vm)}

            """).write(toFile: withNetwork, atomically: true, encoding: .utf8)
        let plan = lab.cluster("plan", withNetwork)
        #expect(plan.ok && plan.stdout.contains("networks nat1"), "\(plan)")
        let apply = lab.cluster("apply", withNetwork, "--wait", "10")
        try #require(apply.ok, "cluster apply: \(apply)\n\(lab.daemons[0].log)")
        #expect(lab.cluster("plan", withNetwork).stdout.contains("no changes"))
        let status = try lab.status()
        #expect(status.hosts.allSatisfy { $0.alive && $0.converged }, "\(status)")
        // h1 runs it (its dnsmasq among them), h2 does not know it.
        let list = lab.daemons[0].cli("net-list")
        #expect(list.ok && list.stdout.contains("nat1"), "\(list)")
        #expect(!lab.daemons[1].cli("net-list").stdout.contains("nat1"))
        let info = try lab.daemons[0].json(NetworkInfo.self, "net-info", "nat1")
        let dnsmasq = try #require(info.dnsmasqPID, "no dnsmasq for nat1: \(info)")
        #expect(kill(dnsmasq, 0) == 0)
        // The VM's port is on the network's bridge, in its namespace: a lease, and the gateway answers.
        let lease = NetworkLab.dhcp(world: lab.world, vm, "vmn", tries: 10)
        let ip = try #require(lease?["ip"], "no DHCP lease on nat1:\n\(lab.daemons[0].log)")
        #expect(ip.hasPrefix("192.168.91.") && lease?["router"] == "192.168.91.1", "\(lease ?? [:])")
        #expect(lab.world.ping(from: vm, "192.168.91.1"))
        // Restarted while etcd is away, h1 brings the network back from its config.json.
        lab.etcd.stopAll()
        lab.daemons[0].stop()
        try lab.daemons[0].start()
        let back = ClusterTests.within(10) { (try? lab.daemons[0].json(NetworkInfo.self, "net-info", "nat1"))?.dnsmasqPID != nil }
        #expect(back != nil, "nat1 did not come back after a restart without etcd:\n\(lab.daemons[0].log)")
        // (The VM's tap was made again: it asks for its lease again.)
        #expect(NetworkLab.dhcp(world: lab.world, vm, "vmn", tries: 10)?["router"] == "192.168.91.1", "no lease after the restart")
        #expect(lab.world.ping(from: vm, "192.168.91.1"))
        try lab.etcd.startAll()
        let rejoined = ClusterTests.within(15) { (try? lab.status())?.hosts.allSatisfy { $0.alive && $0.converged } == true }
        #expect(rejoined != nil, "h1 did not reconverge after etcd came back")
        let restarted = try lab.daemons[0].json(NetworkInfo.self, "net-info", "nat1")
        let dnsmasq2 = try #require(restarted.dnsmasqPID)
        // Applied again without the network: h1 destroys it (bridge, port and dnsmasq gone).
        let change = lab.cluster("plan", lab.file)
        #expect(change.stdout.contains("- network nat1"), "\(change)")
        let again = lab.cluster("apply", lab.file, "--wait", "10")
        try #require(again.ok, "\(again)")
        #expect(!lab.daemons[0].cli("net-list").stdout.contains("nat1"))
        let gone = ClusterTests.within(5) { kill(dnsmasq2, 0) != 0 || Self.isZombie(dnsmasq2) }
        #expect(gone != nil, "dnsmasq \(dnsmasq2) still runs after nat1 left the fabric")
        #expect(!lab.world.exec(lab.hosts[0], "ip link show cnat1").ok, "the network's bridge port is still there")
        #expect(!lab.world.ping(from: vm, "192.168.91.1", count: 2))
        // The rest of the fabric is untouched.
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func nodesAreRefusedWithTheReason() throws {
        let lab = try ClusterTests.Lab("clo", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")])
        defer { lab.close() }
        let file = lab.world.tempDirectory + "/nodes.yaml"
        try (try String(contentsOfFile: lab.file, encoding: .utf8).replacingOccurrences(of: ", netns: \(lab.vms["vm1"]!)}", with: "}")
            + "nodes:\n  n1: {host: h1, port: vm1}\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out = lab.cluster("apply", file)
        #expect(!out.ok && out.stderr.contains("node n1: nodes are lab namespaces") && out.stderr.contains("netns:"), "\(out)")
        #expect(lab.etcd.etcdctl("get --prefix --keys-only /tapestry/t/fabric/").stdout.isEmpty, "a refused apply wrote something")
    }

    static func isZombie(_ pid: Int32) -> Bool {
        ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").contains(") Z ")
    }
}
