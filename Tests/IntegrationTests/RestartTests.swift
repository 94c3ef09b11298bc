import ControlProtocol
import Foundation
import TestSupport
import Testing

/// The desired state survives `kill -9`; a new daemon reconciles the host back to it; a clean stop
/// removes the taps the daemon owns.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct RestartTests {
    @Test func kill9ThenStartKeepsConfigAndTrafficAndSigtermRemovesTaps() throws {
        let world = NetnsWorld("rst")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0", "--mac-aging", "120", "--mac-table-size", "1024").ok)
        #expect(d.cli("add-br", "lab", "--mode", "hub").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.57.0.1/24", ["--vlan", "10"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.57.0.2/24", ["--vlan", "10", "--isolated"])
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.57.0.3/24", ["--trunk", "10,20-22", "--native", "10"])
        let vm4 = try world.tapVM(d, "lab", "vm4", address: "10.58.0.4/24", ["--mtu", "1400", "--mac", "52:54:00:00:57:04"])
        let vm5 = try world.tapVM(d, "lab", "vm5", address: "10.58.0.5/24")
        #expect(d.cli("fdb-add", "br0", "vm1", "52:54:00:aa:bb:cc", "--vlan", "10").ok)
        #expect(world.ping(from: vm1, "10.57.0.2"))
        #expect(world.ping(from: vm1, "10.57.0.3"))
        #expect(world.ping(from: vm4, "10.58.0.5"))
        // br0's local port is brought up by the host's admin; lab's stays down as add-br made it.
        #expect(world.exec(host, "ip link set br0 up").ok)
        let before = try d.configView()
        #expect(before.bridges.count == 2 && before.bridges.flatMap(\.ports).count == 7, "\(before)")

        d.kill9()
        #expect(!d.isAlive)
        // A crash leaves the taps (persistent) and their addresses in the VM namespaces.
        #expect(world.exec(vm1, "ip addr show vm1 | grep -q 10.57.0.1").ok, "vm1's tap vanished with the daemon")

        try d.start()
        let after = try d.configView()
        #expect(after == before, "show changed across kill -9:\nbefore: \(before)\nafter:  \(after)")
        let show = try d.json(ShowResult.self, "show")
        for p in show.bridges.flatMap(\.ports) {
            // A local port keeps the link state the admin left it in.
            let expected = p.config.name == "lab" ? "down" : "up"
            #expect(p.state == expected, "\(p.config.name) is \(p.state) after restart: \(p.error ?? "")")
        }
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        #expect(fdb.entries.contains { $0.mac.description == "52:54:00:aa:bb:cc" && $0.isStatic && $0.port == "vm1" && $0.vlan.value == 10 },
                "static MAC lost: \(fdb.entries)")
        #expect(world.mac(vm4, "vm4") == "52:54:00:00:57:04")
        #expect(world.exec(vm4, "cat /sys/class/net/vm4/mtu").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1400")
        #expect(world.ping(from: vm1, "10.57.0.2"), "vm1 → vm2 failed after restart")
        #expect(world.ping(from: vm2, "10.57.0.3"), "vm2 → vm3 failed after restart")
        #expect(world.ping(from: vm5, "10.58.0.4"), "vm5 → vm4 failed after restart")
        // Exactly one tap per port in each VM namespace: nothing was duplicated.
        #expect(world.exec(vm3, "ls /sys/class/net").stdout.split(separator: "\n").sorted() == ["lo", "vm3"])

        // Clean stop: taps removed, socket removed.
        d.stop()
        for (vm, name) in [(vm1, "vm1"), (vm2, "vm2"), (vm3, "vm3"), (vm4, "vm4"), (vm5, "vm5")] {
            #expect(!world.exec(vm, "ip link show \(name)").ok, "\(name) still exists after SIGTERM")
        }
        #expect(!FileManager.default.fileExists(atPath: d.socket), "control socket left behind after SIGTERM")
        #expect(d.log.contains("shutting down"))
    }
}
