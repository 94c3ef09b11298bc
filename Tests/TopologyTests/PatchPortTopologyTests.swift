import TapestryModel
import Testing
@testable import Topology

/// `type: patch` with `peer:` in a topology file: two bridges joined inside the datapath, as
/// `add-port --type patch --peer` (and Open vSwitch's patch ports).
@Suite struct PatchPortTopologyTests {
    static let pair = """
        bridges:
          br-a:
            ports:
              vm1: {}
              pa: {type: patch, peer: pb}
          br-b:
            ports:
              vm2: {}
              pb: {type: patch, peer: pa}
        """

    @Test func aPatchPairReachesTheModelAndSurvivesTheExport() throws {
        let file = try parse(Self.pair)
        let model = LabModel(file: file)
        let bridges = try #require(model.hosts.first?.bridges)
        let pa = bridges.first { $0.name == "br-a" }?.ports.first { $0.name == "pa" }
        let pb = bridges.first { $0.name == "br-b" }?.ports.first { $0.name == "pb" }
        #expect(pa?.type == .patch && pa?.peer == "pb" && pb?.type == .patch && pb?.peer == "pa")
        // The desired state the daemon validates takes the pair.
        var state = DesiredState()
        state.bridges = bridges
        #expect(throws: Never.self) { try state.validate() }
        // Export, then parse the export: the same bridges.
        let yaml = TopologyExporter.yaml(lab: "x", hosts: [.init(name: "local", socket: nil, observed: ObservedHost(bridges: bridges))],
                                         implicitHost: true)
        #expect(yaml.contains("pa: {type: patch, peer: pb}"), "\(yaml)")
        let again = LabModel(file: try parse(yaml))
        #expect(again.hosts.first?.bridges == bridges)
    }

    @Test func aChangedPeerIsPlannedAsAReplacement() throws {
        let old = LabModel(file: try parse(Self.pair))
        let rewired = Self.pair.replacingOccurrences(of: "pb: {type: patch, peer: pa}", with: "pb: {type: patch, peer: pa}\n      pc: {type: patch, peer: pd}")
            .replacingOccurrences(of: "vm1: {}", with: "vm1: {}\n      pd: {type: patch, peer: pc}")
        let new = LabModel(file: try parse(rewired))
        var o = ObservedLab()
        for h in old.hosts { o.hosts[h.name] = ObservedHost(bridges: h.bridges) }
        let plan = Planner.plan(desired: new, observed: o).map(\.description)
        #expect(plan.contains { $0.contains("port pc (patch") && $0.contains("peer pd") }, "\(plan)")
        #expect(plan.contains { $0.contains("port pd (patch") && $0.contains("peer pc") }, "\(plan)")
        var moved = Planner.needsReplacement(PortConfig(name: "pa", type: .patch, peer: "pb"), PortConfig(name: "pa", type: .patch, peer: "pc"))
        #expect(moved)
        moved = Planner.needsReplacement(PortConfig(name: "pa", type: .patch, peer: "pb"), PortConfig(name: "pa", type: .patch, peer: "pb"))
        #expect(!moved)
    }

    @Test func badPeersAreRefusedWithTheirPosition() {
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch}\n")
            == ["4:7: port pa of bridge br0: a patch port needs peer: PORT (the patch port at the other end, on another bridge)"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      t0: {peer: pb}\n")
            == ["4:18: port t0 of bridge br0: peer applies to type patch only"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: pa}\n")
            == ["4:31: port pa of bridge br0: a patch port cannot be its own peer"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: \"a b\"}\n").first?.hasPrefix("4:31: ") == true)
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: pb, mtu: 1400}\n  br1:\n    ports:\n      pb: {type: patch, peer: pa}\n")
            == ["4:40: port pa of bridge br0: mtu does not apply to patch ports"])
        // The other end: missing, not pointing back, or on the same bridge.
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: pb}\n")
            == ["4:31: port pa of bridge br0: peer pb is not a port of a bridge on host local; declare both ends of the patch pair"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: pb}\n  br1:\n    ports:\n      pb: {}\n")
            == ["4:31: port pa of bridge br0: peer pb (line 7) must be a patch port whose peer is pa"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      pa: {type: patch, peer: pb}\n      pb: {type: patch, peer: pa}\n")
            == ["4:31: port pa of bridge br0: peer pb is on the same bridge br0; a patch pair joins two bridges",
                "5:31: port pb of bridge br0: peer pa is on the same bridge br0; a patch pair joins two bridges"])
    }
}
