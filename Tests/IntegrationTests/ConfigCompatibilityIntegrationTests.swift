import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// A config.json written by tapestryd 0.1.0 (Tests/ControlPlaneTests/Fixtures) is read and reconciled
/// by today's daemon: every bridge and port comes up as configured and the bridges in the file are
/// left as they were.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ConfigCompatibilityIntegrationTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../ControlPlaneTests/Fixtures/config-0.1.0.json").standardized

    @Test func previousConfigIsReconciledUnchanged() throws {
        let world = NetnsWorld("cfg")
        defer { world.close() }
        let host = world.namespace("host")
        let vm = world.namespace("vm")
        #expect(world.exec(host, "ip link add sys0 type veth peer name sys0p && ip link set sys0 up && ip link set sys0p up").ok)
        // dnsmasq and radvd drop root and must reach the autostarted network's files (as NetworkLab does).
        try FileManager.default.createDirectory(atPath: world.tempDirectory + "/d", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chmod(world.tempDirectory, 0o755)
        let d = try world.startDaemon(in: host)
        d.stop()
        // The fixture's vm3 lived in a namespace of the run that wrote it: point it at ours.
        let text = try String(contentsOf: Self.fixture, encoding: .utf8).replacingOccurrences(of: "ctlfix830vm", with: vm)
        let configPath = d.directory + "/state/config.json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
        let written = try JSONDecoder().decode(DesiredState.self, from: Data(text.utf8))
        try d.start()

        let show = try d.json(ShowResult.self, "show")
        #expect(show.bridges.map(\.name) == written.bridges.map(\.name) + ["isobr0"])  // + the autostarted network's bridge
        for b in written.bridges {
            let shown = try #require(show.bridges.first { $0.name == b.name })
            #expect(shown.ports.map(\.config) == b.ports, "\(b.name): ports differ")
            #expect(shown.staticMACs == b.staticMACs && shown.macAging == b.macAging && shown.mode == b.mode)
            for p in shown.ports { #expect(p.state == "up", "\(p.config.name) is \(p.state): \(p.error ?? "")") }
        }
        #expect(world.exec(vm, "ip link show vm3 | grep -q 'mtu 1400'").ok, "vm3 not in its namespace with MTU 1400")
        let mirrors = try d.json(MirrorListResult.self, "mirror-list", "br0")
        #expect(mirrors.mirrors.map(\.mirror) == written.bridge(named: "br0")?.mirrors)
        let networks = try d.json(NetworkListResult.self, "net-list", "--all")
        #expect(Set(networks.networks.map(\.name)) == ["fixnet", "isonet"])
        #expect(networks.networks.first { $0.name == "isonet" }?.active == true, "autostart network not started: \(d.log.split(separator: "\n").filter { $0.contains("isonet") })")

        // The file still holds the same bridges and the inactive network as it was; only the autostarted
        // network's record changed (it is active now).
        let stored = try JSONDecoder().decode(DesiredState.self, from: Data(contentsOf: URL(fileURLWithPath: configPath)))
        #expect(stored.bridges.filter { $0.name != "isobr0" } == written.bridges)
        #expect(stored.network(named: "fixnet") == written.network(named: "fixnet"))
    }
}
