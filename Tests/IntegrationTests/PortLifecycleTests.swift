import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Ports changed, added and removed on a running bridge: live VLAN changes take effect, idempotent
/// forms change nothing, and removing a port or bridge removes the taps the daemon made.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct PortLifecycleTests {
    @Test func liveChangesAndRemoval() throws {
        let world = NetnsWorld("life")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24", ["--vlan", "10"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.61.0.2/24", ["--vlan", "20"])
        #expect(!world.ping(from: vm1, "10.61.0.2", count: 2, wait: 0.5), "VLAN 10 reached VLAN 20")

        // set-port --vlan on a live port moves it: now both are in VLAN 10.
        let set = d.cli("set-port", "br0", "vm2", "--vlan", "10")
        #expect(set.ok, "\(set)")
        _ = world.exec(vm1, "ip neigh flush dev vm1")
        _ = world.exec(vm2, "ip neigh flush dev vm2")
        #expect(world.ping(from: vm1, "10.61.0.2"), "set-port --vlan 10 did not take effect")
        // The tap was adopted in place, not re-created (its address is still there).
        #expect(world.exec(vm2, "ip addr show vm2 | grep -q 10.61.0.2").ok)

        // Idempotent forms succeed and change nothing.
        let before = try d.configView()
        #expect(d.cli("add-br", "br0", "--may-exist").ok)
        let again = d.cli("add-port", "br0", "vm1", "--type", "tap", "--netns", vm1, "--vlan", "10", "--may-exist")
        #expect(again.ok, "\(again)")
        #expect(d.cli("del-port", "br0", "nosuch", "--if-exists").ok)
        #expect(d.cli("del-br", "nosuch", "--if-exists").ok)
        #expect(try d.configView() == before, "idempotent commands changed the state")
        #expect(world.ping(from: vm1, "10.61.0.2"), "an idempotent command disturbed traffic")

        // del-port removes the tap it made from the VM's namespace; the other port keeps working.
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.61.0.3/24", ["--vlan", "10"])
        #expect(world.ping(from: vm3, "10.61.0.1"))
        #expect(d.cli("del-port", "br0", "vm3").ok)
        #expect(!world.exec(vm3, "ip link show vm3").ok, "del-port left the tap in the VM namespace")
        #expect(try d.json(ShowResult.self, "show", "br0").bridges[0].ports.map(\.config.name) == ["br0", "vm1", "vm2"])
        #expect(world.ping(from: vm1, "10.61.0.2"))

        // del-br removes every tap of the bridge.
        let delBr = d.cli("del-br", "br0")
        #expect(delBr.ok, "\(delBr)")
        #expect(!world.exec(vm1, "ip link show vm1").ok, "del-br left vm1's tap")
        #expect(!world.exec(vm2, "ip link show vm2").ok, "del-br left vm2's tap")
        #expect(try d.json(ShowResult.self, "show").bridges.isEmpty)
    }
}
