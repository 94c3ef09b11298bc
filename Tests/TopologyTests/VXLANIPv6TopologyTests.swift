import Foundation
import TapestryModel
import Testing
@testable import Topology

/// A vxlan port over an IPv6 underlay in a topology file: read, exported, refused with positions.
@Suite struct VXLANIPv6TopologyTests {
    let yaml = """
        bridges:
          br0:
            ports:
              vm1: {mac: "52:54:00:00:00:01"}
              vx42:
                type: vxlan
                vxlan: {vni: 42, remotes: ["2001:db8::2", "2001:db8::3"], local: "2001:db8::1"}
            static-macs:
              - {mac: "52:54:00:00:00:02", port: vx42, remote: "2001:db8::2"}

        """

    @Test func ipv6RemotesReachTheModelAndTheExportRoundTrips() throws {
        let model = LabModel(file: try parse(yaml))
        let bridge = try #require(model.hosts.first?.bridges.first)
        let vx = try #require(bridge.port(named: "vx42")?.vxlan)
        #expect(vx.remotes.map(\.description) == ["2001:db8::2", "2001:db8::3"] && vx.local?.description == "2001:db8::1")
        #expect(bridge.staticMACs.first?.remote == IPAddress(strict: "2001:db8::2"))
        let exported = TopologyExporter.yaml(lab: "x", hosts: [.init(name: "local", socket: nil, observed: ObservedHost(bridges: model.hosts[0].bridges))],
                                             implicitHost: true)
        #expect(exported.contains("\"2001:db8::2\""), "\(exported)")
        let again = LabModel(file: try parse(exported))
        #expect(again.hosts.first?.bridges.first?.port(named: "vx42")?.vxlan == vx, "\(exported)")
        #expect(again.hosts.first?.bridges.first?.staticMACs == bridge.staticMACs)
    }

    @Test func malformedAndMixedUnderlaysAreRefusedWithTheirPosition() {
        let malformed = problems("bridges:\n  br0:\n    ports:\n      vx42:\n        type: vxlan\n        vxlan: {vni: 42, remotes: [\"2001:db8::zz\"]}\n")
        #expect(malformed.contains { $0.hasPrefix("6:") && $0.contains("invalid remote '2001:db8::zz'") }, "\(malformed)")
        let mixed = problems("bridges:\n  br0:\n    ports:\n      vx42:\n        type: vxlan\n        vxlan: {vni: 42, remotes: [\"2001:db8::2\"], local: 10.0.0.1}\n")
        #expect(mixed.contains { $0.hasPrefix("4:") && $0.contains("port vx42 of bridge br0") && $0.contains("one address family") }, "\(mixed)")
        let staticMAC = problems(yaml.replacingOccurrences(of: "remote: \"2001:db8::2\"}", with: "remote: 10.0.0.2}"))
        #expect(staticMAC.contains { $0.contains("remote 10.0.0.2 is not of the address family of vx42's underlay") }, "\(staticMAC)")
    }
}
