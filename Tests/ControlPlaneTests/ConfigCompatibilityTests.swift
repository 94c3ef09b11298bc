import Foundation
import TapestryModel
import Testing
@testable import TapestryDaemon

/// A config.json written by tapestryd 0.1.0 (the main branch before the control plane was split
/// into services: bridges with access, trunk, isolated, max-MACs, netns, MTU, MAC, system and vxlan
/// ports, static MACs, a mirror, a hub bridge, two defined networks) is read unchanged and written
/// back byte for byte.
@Suite struct ConfigCompatibilityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/config-0.1.0.json")

    @Test func previousConfigIsReadAndWrittenUnchanged() throws {
        let original = try Data(contentsOf: Self.fixture)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapestry-compat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try original.write(to: URL(fileURLWithPath: dir + "/config.json"))
        let store = ConfigStore(stateDirectory: dir)
        let state = try store.load()
        #expect(state.generation == 15)
        #expect(state.bridges.map(\.name) == ["br0", "lab"])
        let br0 = try #require(state.bridge(named: "br0"))
        #expect(br0.ports.map(\.name) == ["vm1", "vm2", "vm3", "sys0", "vx1"])
        #expect(br0.port(named: "vm1")?.isolated == true && br0.port(named: "vm1")?.maxMACs == 100)
        #expect(br0.port(named: "vx1")?.vxlan?.vni == 42)
        #expect(br0.staticMACs.count == 1 && br0.mirrors.map(\.name) == ["m1"])
        #expect(state.networks.map(\.name) == ["fixnet", "isonet"] && state.network(named: "isonet")?.autostart == true)
        try store.save(state)
        let written = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        #expect(written == original, "config.json changed on a load/save round trip")
    }
}
