import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A hub bridge floods every frame to every other port: known unicast between two VMs reaches the third.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct HubBridgeTests {
    @Test func unicastBetweenTwoVMsReachesTheThird() throws {
        let world = NetnsWorld("hub")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        let addBr = d.cli("add-br", "lab", "--mode", "hub")
        #expect(addBr.ok, "\(addBr)")
        var vms: [String] = []
        for i in 1...3 { vms.append(try world.tapVM(d, "lab", "vm\(i)", address: "10.51.0.\(i)/24")) }
        #expect(world.ping(from: vms[0], "10.51.0.2"))
        #expect(world.ping(from: vms[2], "10.51.0.1"))
        let show = try d.json(ShowResult.self, "show", "lab")
        #expect(show.bridges.first?.mode == .hub)

        // Unicast vm1 → vm2 (both MACs long known) is copied to vm3 too.
        let vm1MAC = world.mac(vms[0], "vm1"), vm2MAC = world.mac(vms[1], "vm2")
        let before = try d.counters("lab", "vm3").txPackets
        let seen = world.capture(vms[2], "vm3", filter: "icmp") {
            #expect(world.exec(vms[0], "ping -c 30 -i 0.01 -W 1 10.51.0.2").ok)
        }
        let requests = seen.filter { $0.contains(vm1MAC) && $0.contains("> \(vm2MAC)") && $0.contains("echo request") }
        let replies = seen.filter { $0.contains(vm2MAC) && $0.contains("> \(vm1MAC)") && $0.contains("echo reply") }
        #expect(requests.count >= 30, "vm3 saw \(requests.count) of vm1's 30 echo requests: \(seen.prefix(3))")
        #expect(replies.count >= 30, "vm3 saw \(replies.count) of vm2's 30 echo replies")
        let after = try d.counters("lab", "vm3").txPackets
        #expect(after - before >= 60, "vm3 tx counter grew by \(after - before)")

        // The same bridge switched to learning mode stops copying known unicast to vm3.
        #expect(d.cli("set-br", "lab", "--mode", "learning").ok)
        #expect(world.ping(from: vms[0], "10.51.0.2"))
        let quiet = world.capture(vms[2], "vm3", filter: "icmp") {
            #expect(world.exec(vms[0], "ping -c 20 -i 0.01 -W 1 10.51.0.2").ok)
        }
        #expect(quiet.isEmpty, "vm3 still saw vm1↔vm2 unicast after set-br --mode learning: \(quiet.prefix(3))")
    }
}
