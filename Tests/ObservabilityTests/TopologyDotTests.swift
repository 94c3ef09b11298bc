import ControlProtocol
import TapestryModel
import Testing
@testable import tapestry

/// `tapestry graph`'s dot text and `trace`'s text form.
struct TopologyDotTests {
    @Test func bridgesPortsTunnelsMirrorsAndNetworks() {
        var vm1 = PortConfig(name: "vm1", type: .tap, vlan: VLANID(10), netns: "vm1")
        vm1.isolated = true
        let vx = PortConfig(name: "vx0", type: .vxlan, vxlan: VXLANConfig(vni: 42, remotes: [IPAddress("10.0.0.2")!]))
        let span = PortConfig(name: "span0", type: .tap)
        let bridge = BridgeStatus(name: "br0", mode: .learning, macAging: 300, macTableSize: 8192, macCount: 1,
                                  ports: [PortStatus(config: vm1, state: "up"), PortStatus(config: vx, state: "up"),
                                          PortStatus(config: span, state: "error", error: "boom")],
                                  staticMACs: [])
        let network = NetworkInfo(name: "default", uuid: "u", active: true, persistent: true, autostart: false,
                                  bridge: "br0", forwardMode: "nat")
        let dot = TopologyDot.render(host: "h\"1", show: ShowResult(generation: 1, bridges: [bridge]),
                                     mirrors: ["br0": [MirrorConfig(name: "m0", selectPorts: ["vm1"], output: "span0")]],
                                     networks: [network])
        #expect(dot.hasPrefix("graph tapestry {\n"))
        #expect(dot.hasSuffix("}\n"))
        #expect(dot.contains("label=\"host h\\\"1\""))
        #expect(dot.contains("\"port:br0/vm1\" [shape=ellipse, label=\"vm1\\ntap · access 10\\nisolated\\nnetns vm1\"];"))
        #expect(dot.contains("\"br:br0\" -- \"port:br0/vx0\";"))
        #expect(dot.contains("\"port:br0/vx0\" -- \"vtep:10.0.0.2\" [style=dashed, label=\"VXLAN VNI 42\"];"))
        #expect(dot.contains("\"vtep:10.0.0.2\" [shape=diamond"))
        #expect(dot.contains("mirror m0 output\\nerror\", color=red]"))
        #expect(dot.contains("\"port:br0/vm1\" -- \"port:br0/span0\" [style=dotted, color=blue, label=\"mirror m0\"];"))
        #expect(dot.contains("\"net:default\" -- \"br:br0\" [style=bold];"))
    }

    @Test func spanningTreeBlockedLinksAreDrawnDashed() {
        var up = PortStatus(config: PortConfig(name: "l12", type: .system), state: "up")
        up.stpRole = "root"; up.stpState = "forwarding"
        var alt = PortStatus(config: PortConfig(name: "l13", type: .system), state: "up")
        alt.stpRole = "alternate"; alt.stpState = "discarding"
        let bridge = BridgeStatus(name: "br0", mode: .learning, macAging: 300, macTableSize: 8192, macCount: 0,
                                  ports: [up, alt], staticMACs: [])
        let dot = TopologyDot.render(host: "h", show: ShowResult(generation: 1, bridges: [bridge]))
        #expect(dot.contains("\"br:br0\" -- \"port:br0/l13\" [style=dashed, color=orange, label=\"blocked\"];"), "\(dot)")
        #expect(dot.contains("stp alternate discarding (blocked)\", color=orange, style=dashed]"), "\(dot)")
        #expect(dot.contains("\"br:br0\" -- \"port:br0/l12\";"))
        #expect(dot.contains("stp root forwarding\"]"), "\(dot)")
        let text = ShowTable.lines(ShowResult(generation: 1, bridges: [bridge])).joined(separator: "\n")
        #expect(text.contains("up  stp alternate discarding"), "\(text)")
    }

    @Test func traceTextNumbersStepsAndSaysTheResult() {
        let r = TraceResult(steps: Array(repeating: "s", count: 10), action: "flood", dropReason: nil, vlan: VLANID(1),
                            outputs: [.init(port: "vm2", tagging: "untagged"), .init(port: "vm3", tagging: "tagged 1")],
                            mirroredTo: ["span0"])
        let lines = TraceText.lines(r)
        #expect(lines.first == " 1. s")
        #expect(lines[9] == "10. s")
        #expect(lines.last == "Result: flood to vm2, vm3; mirrored to span0")
        let drop = TraceResult(steps: ["a"], action: "drop", dropReason: "isolated", vlan: nil, outputs: [], mirroredTo: [])
        #expect(TraceText.lines(drop).last == "Result: drop (isolated)")
    }
}

extension TopologyDotTests {
    /// A bond the spanning tree blocks, with one member down: `graph` draws the blocked link to the bond and
    /// the disabled member gray and dashed; `show` lists the members and the bond's STP state.
    @Test func aBlockedBondAndItsMembersAreDrawn() {
        var config = PortConfig(name: "bond0", type: .bond)
        config.bond = BondConfig(members: ["m0", "m1"], mode: .balanceSLB)
        var bond = PortStatus(config: config, state: "up")
        bond.stpRole = "alternate"; bond.stpState = "discarding"
        bond.bondMembers = [BondMemberStatus(name: "m0", enabled: true, carrier: true, active: true, buckets: 256),
                            BondMemberStatus(name: "m1", enabled: false, carrier: false, active: false, buckets: 0)]
        let bridge = BridgeStatus(name: "br0", mode: .learning, macAging: 300, macTableSize: 8192, macCount: 0,
                                  ports: [bond], staticMACs: [])
        let dot = TopologyDot.render(host: "h", show: ShowResult(generation: 1, bridges: [bridge]))
        #expect(dot.contains("\"br:br0\" -- \"port:br0/bond0\" [style=dashed, color=orange, label=\"blocked\"];"), "\(dot)")
        #expect(dot.contains("\"port:br0/bond0\" [shape=doubleoctagon"), "\(dot)")
        #expect(dot.contains("\"port:br0/bond0\" -- \"port:br0/bond0/m0\" [style=bold];"), "\(dot)")
        #expect(dot.contains("\"port:br0/bond0\" -- \"port:br0/bond0/m1\" [style=dashed, color=gray50];"), "\(dot)")
        let text = ShowTable.lines(ShowResult(generation: 1, bridges: [bridge])).joined(separator: "\n")
        #expect(text.contains("Bond bond0 balance-slb lacp off: m0 enabled (active), m1 disabled"), "\(text)")
        #expect(text.contains("stp alternate discarding"), "\(text)")
    }
}
