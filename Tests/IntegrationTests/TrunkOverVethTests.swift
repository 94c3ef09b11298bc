import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Two tapestryd bridges on two simulated hosts joined by a veth pair attached as system trunk
/// ports: VLANs 10 and 20 reach across, each kept to itself, and GSO TCP crosses tagged.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct TrunkOverVethTests {
    @Test func vlansCrossTwoBridgesOverAVethTrunk() throws {
        let world = NetnsWorld("tveth")
        defer { world.close() }
        let h1 = world.namespace("h1"), h2 = world.namespace("h2")
        world.veth("up1", in: h1, "up2", in: h2)
        let d1 = try world.startDaemon(in: h1, name: "d1")
        let d2 = try world.startDaemon(in: h2, name: "d2")
        for (d, up) in [(d1, "up1"), (d2, "up2")] {
            #expect(d.cli("add-br", "br0").ok)
            let r = d.cli("add-port", "br0", up, "--type", "system", "--trunk", "10,20")
            #expect(r.ok, "\(r)")
        }
        // One IP subnet for all four VMs: only the VLANs separate 10 from 20.
        let a10 = try world.tapVM(d1, "br0", "a10", address: "10.55.0.1/24", ["--vlan", "10"])
        let a20 = try world.tapVM(d1, "br0", "a20", address: "10.55.0.2/24", ["--vlan", "20"])
        let b10 = try world.tapVM(d2, "br0", "b10", address: "10.55.0.3/24", ["--vlan", "10"])
        _ = try world.tapVM(d2, "br0", "b20", address: "10.55.0.4/24", ["--vlan", "20"])

        #expect(world.ping(from: a10, "10.55.0.3"), "VLAN 10 did not cross the trunk")
        #expect(world.ping(from: a20, "10.55.0.4"), "VLAN 20 did not cross the trunk")
        #expect(!world.ping(from: a10, "10.55.0.4", count: 2, wait: 0.5), "VLAN 10 reached VLAN 20 across the trunk")
        #expect(!world.ping(from: a10, "10.55.0.2", count: 2, wait: 0.5), "VLAN 10 reached VLAN 20 on the same host")
        #expect(!world.ping(from: b10, "10.55.0.2", count: 2, wait: 0.5), "VLAN 10 reached VLAN 20 (other direction)")

        // On the wire between the hosts the frames are tagged.
        let wire = world.capture(h2, "up2", filter: "vlan 10 and icmp") {
            _ = world.ping(from: a10, "10.55.0.3", count: 3)
        }
        #expect(wire.contains { $0.contains("vlan 10") }, "no VLAN 10 tags on the veth: \(wire.prefix(3))")

        // Each side learned the remote VM's MAC on its trunk port, in VLAN 10.
        let b10MAC = world.mac(b10, "b10")
        let fdb = try d1.json(FDBShowResult.self, "fdb-show", "br0", "--vlan", "10")
        #expect(fdb.entries.contains { $0.mac.description == b10MAC && $0.port == "up1" && $0.vlan.value == 10 }, "\(fdb.entries)")

        // Bounded TCP across the trunk: GSO super-frames get their tags pushed and popped through AF_PACKET.
        let server = world.spawn(b10, "exec timeout 15 iperf3 -s -1 -B 10.55.0.3")
        #expect(server > 0)
        usleep(500_000)
        let client = world.exec(a10, "iperf3 -c 10.55.0.3 -t 2 -J", timeout: 20)
        #expect(client.ok, "iperf3 failed: \(client.stderr) \(client.stdout.prefix(500))")
        if let data = client.stdout.data(using: .utf8),
           let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let end = obj["end"] as? [String: Any], let recv = end["sum_received"] as? [String: Any],
           let bytes = recv["bytes"] as? Double {
            #expect(bytes > 1_000_000, "iperf3 moved only \(bytes) bytes")
        } else {
            Issue.record("could not read iperf3's JSON: \(client.stdout.prefix(300))")
        }
        // After the stream the VLANs still work (nothing wedged).
        #expect(world.ping(from: a10, "10.55.0.3"))
    }
}
