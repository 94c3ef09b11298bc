import TapestryModel
import Testing
@testable import Topology

/// A port's `policy:` in a topology file: read, exported, refused with positions.
@Suite struct PortPolicyTopologyTests {
    let yaml = """
        bridges:
          br0:
            ports:
              vm1:
                policy: {egress-rate: 50mbit, ingress-rate: 100mbit, ingress-burst: 256k, allowed-addresses: ["52:54:00:00:00:01,10.0.0.5"], trusted: false, storm-limit: "broadcast=100pps", delay: 20ms, jitter: 5ms, loss: "1%", seed: 7}

        """

    @Test func policyReachesTheModelAndTheExportRoundTrips() throws {
        let model = LabModel(file: try parse(yaml))
        let port = try #require(model.hosts.first?.bridges.first?.ports.first)
        let p = try #require(port.policy)
        #expect(p.egressRate == 50_000_000 && p.ingressRate == 100_000_000 && p.ingressBurst == 262_144)
        #expect(p.allowedAddresses.map(\.description) == ["52:54:00:00:00:01,10.0.0.5"])
        #expect(p.trusted == false && p.stormBroadcast == 100)
        #expect(p.impairment?.delayNanos == 20_000_000 && p.impairment?.jitterNanos == 5_000_000 && p.impairment?.lossPPM == 10_000)
        let exported = TopologyExporter.yaml(lab: "x", hosts: [.init(name: "local", socket: nil, observed: ObservedHost(bridges: model.hosts[0].bridges))],
                                             implicitHost: true)
        let again = LabModel(file: try parse(exported))
        #expect(again.hosts.first?.bridges.first?.ports.first?.policy == p, "\(exported)")
    }

    @Test func aChangedPolicyIsPlannedAsAPortChange() throws {
        let old = LabModel(file: try parse("bridges:\n  br0:\n    ports:\n      vm1: {}\n"))
        let new = LabModel(file: try parse(yaml))
        #expect(!Planner.sameVLANRole(old.hosts[0].bridges[0].ports[0], new.hosts[0].bridges[0].ports[0]))
    }

    @Test func badPolicyValuesAreRefusedWithTheirPosition() {
        let bad = problems("bridges:\n  br0:\n    ports:\n      vm1:\n        policy: {egress-rate: fast}\n")
        #expect(bad.count == 1 && bad[0].hasPrefix("5:") && bad[0].contains("egress-rate fast needs a unit"), "\(bad)")
        let unknown = problems("bridges:\n  br0:\n    ports:\n      vm1:\n        policy: {speed: 1}\n")
        #expect(unknown.count == 1 && unknown[0].contains("speed"), "\(unknown)")
    }
}
