import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Isolated ports never talk to each other; each still talks to a non-isolated port.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct IsolatedPortTests {
    @Test func isolatedPairIsCutAndReachesTheRest() throws {
        let world = NetnsWorld("iso")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.52.0.1/24", ["--isolated"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.52.0.2/24", ["--isolated"])
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.52.0.3/24")

        let ports = try d.json(ShowResult.self, "show", "br0").bridges[0].ports
        #expect(ports.first { $0.config.name == "vm1" }?.config.isolated == true)
        #expect(ports.first { $0.config.name == "vm3" }?.config.isolated == false)

        #expect(world.ping(from: vm1, "10.52.0.3"))
        #expect(world.ping(from: vm2, "10.52.0.3"))
        #expect(world.ping(from: vm3, "10.52.0.1"))
        #expect(!world.ping(from: vm1, "10.52.0.2", count: 2, wait: 0.5), "isolated vm1 reached isolated vm2")
        #expect(!world.ping(from: vm2, "10.52.0.1", count: 2, wait: 0.5), "isolated vm2 reached isolated vm1")

        // Even a frame whose destination is known is not delivered between isolated ports, and it is counted.
        let vm2MAC = world.mac(vm2, "vm2")
        #expect(world.exec(vm1, "ip neigh replace 10.52.0.2 lladdr \(vm2MAC) dev vm1 nud permanent").ok)
        let dropsBefore = try d.counters("br0", "vm1").drops["isolated"] ?? 0
        let seen = world.capture(vm2, "vm2", filter: "icmp") {
            _ = world.exec(vm1, "ping -c 5 -i 0.05 -W 0.3 10.52.0.2")
        }
        #expect(seen.isEmpty, "vm2 received vm1's unicast: \(seen.prefix(3))")
        let dropsAfter = try d.counters("br0", "vm1").drops["isolated"] ?? 0
        #expect(dropsAfter - dropsBefore >= 5, "isolated drops on vm1: \(dropsBefore) → \(dropsAfter)")

        let set = d.cli("set-port", "br0", "vm2", "--no-isolated")
        #expect(set.ok, "\(set)")
        #expect(try d.json(ShowResult.self, "show", "br0").bridges[0].ports.first { $0.config.name == "vm2" }?.config.isolated == false)
        // Forget the failed ARP attempts of the isolated phase (the kernel backs off re-probing them).
        _ = world.exec(vm1, "ip neigh del 10.52.0.2 dev vm1; ip neigh flush dev vm1")
        _ = world.exec(vm2, "ip neigh flush dev vm2")
        let reached = world.ping(from: vm1, "10.52.0.2")
        #expect(reached, """
            vm1 cannot reach vm2 after set-port --no-isolated
            stats: \(d.cli("stats", "br0").stdout)
            fdb: \(d.cli("fdb-show", "br0").stdout)
            vm1 neigh: \(world.exec(vm1, "ip neigh").stdout) vm2 neigh: \(world.exec(vm2, "ip neigh").stdout)
            """)
        #expect(world.ping(from: vm2, "10.52.0.1"))
    }
}
