import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Two bridges joined by a patch pair (`--type patch --peer`), as Open vSwitch's patch ports.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct PatchPortTests {
    @Test func vmsOnTwoBridgesJoinedByAPatchPairPing() throws {
        let world = NetnsWorld("patch")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host, arguments: ["--datapath-threads", "2"])
        #expect(d.cli("add-br", "br0").ok)
        #expect(d.cli("add-br", "br1").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24", ["--vlan", "10"])
        let vm2 = try world.tapVM(d, "br1", "vm2", address: "10.61.0.2/24", ["--vlan", "30"])
        // Before the pair exists the bridges are apart.
        #expect(!world.ping(from: vm1, "10.61.0.2", count: 2))

        // The pair: a trunk end on br0 carrying VLAN 10, an access end on br1 in VLAN 30.
        let add = d.cli("add-port", "br0", "p0", "--type", "patch", "--peer", "p1", "--trunk", "10",
                        "--", "add-port", "br1", "p1", "--type", "patch", "--peer", "p0", "--vlan", "30")
        #expect(add.ok, "\(add)")
        // VLAN 10 on br0 leaves p0 tagged; p1 is an access port of br1, which refuses tagged frames.
        #expect(!world.ping(from: vm1, "10.61.0.2", count: 2))
        #expect(d.cli("set-port", "br0", "p0", "--vlan", "10").ok)
        // The refused pings left vm1's ARP entry for vm2 unresolved (probes 1 s apart, then FAILED):
        // start resolving afresh so the ping below depends on the switch only.
        #expect(world.exec(vm1, "ip neigh flush all").ok)
        #expect(world.ping(from: vm1, "10.61.0.2"), "\(d.log.suffix(1500))")
        #expect(world.ping(from: vm2, "10.61.0.1"))

        // Each bridge learned the far VM behind its patch end.
        let mac2 = world.mac(vm2, "vm2")
        let fdb0 = try d.json(FDBShowResult.self, "fdb-show", "br0")
        #expect(fdb0.entries.contains { $0.mac.description == mac2 && $0.port == "p0" && $0.vlan.value == 10 }, "\(fdb0.entries)")
        // Every frame p0 sent, p1 received: compared when no frame is on its way (the VMs' own IPv6
        // chatter may pass between two reads).
        var tx: UInt64 = 0, rx: UInt64 = 0
        for _ in 0..<30 {
            tx = try d.counters("br0", "p0").txPackets
            rx = try d.counters("br1", "p1").rxPackets
            if rx == tx, try d.counters("br0", "p0").txPackets == tx { break }
            usleep(100_000)
        }
        #expect(tx > 0 && rx == tx, "p0 sent \(tx), p1 received \(rx)")

        // A bad peer is refused with a reason and changes nothing.
        let bad = d.cli("add-port", "br0", "p2", "--type", "patch", "--peer", "vm2")
        #expect(!bad.ok && bad.stderr.contains("must be a patch port"), "\(bad)")
        let noPeer = d.cli("add-port", "br0", "p3", "--type", "patch")
        #expect(!noPeer.ok && noPeer.stderr.contains("--peer"), "\(noPeer)")

        // Removing one end cuts the path.
        #expect(d.cli("del-port", "br1", "p1").ok)
        #expect(!world.ping(from: vm1, "10.61.0.2", count: 2))
    }
}
