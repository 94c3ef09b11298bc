import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Access ports: same VLAN talks, different VLANs do not, broadcasts stay in their VLAN.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct VLANAccessTests {
    @Test func accessPortsSeparateVLANs() throws {
        let world = NetnsWorld("vacc")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        // One IP subnet for all three: only the VLANs keep vm3 apart.
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.53.0.1/24", ["--vlan", "10"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.53.0.2/24", ["--vlan", "10"])
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.53.0.3/24", ["--vlan", "20"])

        #expect(world.ping(from: vm1, "10.53.0.2"))
        #expect(world.ping(from: vm2, "10.53.0.1"))
        #expect(!world.ping(from: vm1, "10.53.0.3", count: 2, wait: 0.5), "VLAN 10 reached VLAN 20")
        #expect(!world.ping(from: vm3, "10.53.0.2", count: 2, wait: 0.5), "VLAN 20 reached VLAN 10")

        // The MAC table keys entries by VLAN.
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        let vm1MAC = world.mac(vm1, "vm1")
        #expect(fdb.entries.contains { $0.mac.description == vm1MAC && $0.port == "vm1" && $0.vlan.value == 10 }, "\(fdb.entries)")
        #expect(!fdb.entries.contains { $0.vlan.value == 1 }, "untagged access traffic learned on VLAN 1: \(fdb.entries)")

        // A broadcast from vm1 reaches vm2 (same VLAN) and never vm3.
        var onVM3: [String] = []
        let onVM2 = world.capture(vm2, "vm2", filter: "ether src \(vm1MAC)") {
            onVM3 = world.capture(vm3, "vm3", filter: "ether src \(vm1MAC)") {
                _ = world.exec(vm1, "ping -b -c 5 -i 0.2 -W 0.5 10.53.0.255")
            }
        }
        #expect(onVM2.filter { $0.contains("ff:ff:ff:ff:ff:ff") }.count >= 5, "vm2 missed vm1's broadcasts: \(onVM2.prefix(3))")
        #expect(onVM3.isEmpty, "vm3 (VLAN 20) saw vm1's frames: \(onVM3.prefix(3))")
    }
}
