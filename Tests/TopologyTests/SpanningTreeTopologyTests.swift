import TapestryModel
import Testing
@testable import Topology

/// `stp:` and `stp-priority:` on a bridge of a topology file.
@Suite struct SpanningTreeTopologyTests {
    @Test func stpKeysReachTheModelAndTheExport() throws {
        let file = try parse("bridges:\n  br0:\n    stp: rstp\n    stp-priority: 4096\n    ports:\n      up0: {type: system}\n")
        #expect(file.bridges.first?.stp == BridgeSTPConfig(mode: .rstp, priority: 4096))
        let model = LabModel(file: file)
        let config = model.hosts.first?.bridges.first
        #expect(config?.stp?.mode == .rstp && config?.stp?.priority == 4096)
        let yaml = TopologyExporter.yaml(lab: "x", hosts: [.init(name: "local", socket: nil, observed: ObservedHost(bridges: model.hosts[0].bridges))],
                                         implicitHost: true)
        #expect(yaml.contains("    stp: rstp\n    stp-priority: 4096\n"), "\(yaml)")
        #expect(try parse("bridges:\n  br0:\n    stp: off\n").bridges.first?.stp == nil)
        #expect(try parse("bridges:\n  br0:\n    stp: stp\n").bridges.first?.stp?.mode == .stp)
    }

    @Test func badSTPValuesAreRefusedWithTheirPosition() {
        #expect(problems("bridges:\n  br0:\n    stp: mstp\n") == ["3:10: bridge br0: invalid stp 'mstp' (rstp, stp or off)"])
        #expect(problems("bridges:\n  br0:\n    stp: rstp\n    stp-priority: 100\n")
            == ["4:19: bridge br0: stp-priority 100 is not a multiple of 4096"])
        #expect(problems("bridges:\n  br0:\n    stp-priority: 4096\n") == ["3:19: bridge br0: stp-priority needs stp: rstp or stp"])
    }

    @Test func turningSTPOnIsPlannedAsABridgeChange() throws {
        let old = LabModel(file: try parse("bridges:\n  br0: {}\n"))
        let new = LabModel(file: try parse("bridges:\n  br0:\n    stp: rstp\n"))
        var o = ObservedLab()
        for h in old.hosts { o.hosts[h.name] = ObservedHost(bridges: h.bridges) }
        let plan = Planner.plan(desired: new, observed: o)
        #expect(plan.map(\.description).contains { $0.contains("bridge br0: learning → learning, rstp priority 32768") }, "\(plan)")
        for h in new.hosts { o.hosts[h.name] = ObservedHost(bridges: h.bridges) }
        #expect(Planner.plan(desired: new, observed: o).isEmpty)
    }
}
