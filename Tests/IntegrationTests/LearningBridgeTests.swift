import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A learning bridge with three VM namespaces on tap ports created by a real tapestryd.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct LearningBridgeTests {
    @Test func threeVMsPingAndUnicastDoesNotReachTheThird() throws {
        let world = NetnsWorld("learn")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0", "--mode", "learning").ok)
        var vms: [String] = []
        for i in 1...3 {
            let vm = world.namespace("vm\(i)")
            vms.append(vm)
            let add = d.cli("add-port", "br0", "vm\(i)", "--type", "tap", "--netns", vm)
            #expect(add.ok, "\(add)")
            #expect(world.exec(vm, "ip addr add 10.50.0.\(i)/24 dev vm\(i)").ok)
        }
        #expect(world.ping(from: vms[0], "10.50.0.2"))
        #expect(world.ping(from: vms[0], "10.50.0.3"))
        #expect(world.ping(from: vms[1], "10.50.0.3"))

        // fdb-show lists each VM's MAC on its own port.
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        for i in 1...3 {
            let mac = world.exec(vms[i - 1], "cat /sys/class/net/vm\(i)/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(fdb.entries.contains { $0.mac.description == mac && $0.port == "vm\(i)" && $0.vlan.value == 1 }, "\(mac) not on vm\(i): \(fdb.entries)")
        }

        // Known unicast between vm1 and vm2 does not reach vm3 (tcpdump in vm3 sees none of it).
        let before = try d.json(StatsResult.self, "stats", "br0", "vm2").ports[0].txPackets
        let seen = world.capture(vms[2], "vm3", filter: "icmp") {
            #expect(world.exec(vms[0], "ping -c 50 -i 0.01 -W 1 10.50.0.2").ok)
        }
        #expect(seen.isEmpty, "vm3 saw vm1↔vm2 unicast: \(seen.prefix(3))")
        let after = try d.json(StatsResult.self, "stats", "br0", "vm2").ports[0].txPackets
        #expect(after - before >= 50)
    }
}
