import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// Live captures through the decision pipeline: a port's frames in and out (as they arrive and as
/// they leave), a VLAN's frames anywhere (tagged with the VLAN), and their place among the outputs.
@Suite("Captures")
struct CaptureTests {
    /// a, b on VLAN 10, d on VLAN 20, t a trunk of both.
    func world() -> InMemorySwitch {
        T.bridge([T.access("a", 10), T.access("b", 10), T.access("d", 20), T.trunk("t", "10,20")])
    }

    @Test func aPortCaptureSeesWhatArrivesAndWhatLeavesAsItIsOnTheWire() {
        let sw = world()
        sw.startCapture("cap", port: "t")
        // From a: leaves t tagged; the outgoing copy is tagged the same way.
        let fromA = T.frame(to: .broadcast, from: T.mac(1))
        let out = sw.deliveries(fromA, on: "a")
        let copy = out.first { $0.kind == .captureOutgoing }
        #expect(copy?.frame == T.frame(to: .broadcast, from: T.mac(1), vlan: 10))
        #expect(copy?.frame == out.first { $0.kind == .forward && $0.port == "t" }?.frame)
        // The copy comes right before the frame it shows.
        let kinds = out.map { "\($0.kind):\($0.port)" }
        #expect(kinds.firstIndex(of: "captureOutgoing:cap").map { kinds[$0 + 1] } == "forward:t", "\(kinds)")
        // Into t: the copy is the frame as received, first of the frame's outputs.
        let tagged = T.frame(to: .broadcast, from: T.mac(2), vlan: 20, pcp: 3)
        let inOut = sw.deliveries(tagged, on: "t")
        #expect(inOut.first?.kind == .captureIncoming && inOut.first?.frame == tagged)
        #expect(sw.captured["cap"]?.map(\.incoming) == [false, true])
        // A frame of b → a does not touch t: no copy.
        #expect(sw.deliveries(T.frame(to: T.mac(1), from: T.mac(3)), on: "b").allSatisfy { $0.kind == .forward })
    }

    @Test func droppedFramesAreCapturedOnTheirIngressPort() {
        let sw = world()
        sw.startCapture("cap", port: "a", outgoing: false)
        let bad = T.frame(to: .broadcast, from: T.mac(1), vlan: 10)  // tagged on an access port
        let out = sw.deliveries(bad, on: "a")
        #expect(out.count == 1 && out.first?.kind == .captureIncoming && out.first?.frame == bad)
        #expect(sw.dropCount("a", .taggedOnAccess) == 1)
        // In only: nothing leaving a is captured.
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(2)), on: "b").allSatisfy { $0.kind == .forward })
    }

    @Test func aVLANCaptureSeesEveryFrameOfItsVLANOnceTaggedWithIt() {
        let sw = world()
        sw.startCapture("v20", port: nil, vlan: 20)
        // Untagged from the access port of VLAN 20: one copy, tagged 20.
        let fromD = sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "d")
        #expect(fromD.filter { $0.kind == .captureIncoming }.map(\.frame) == [T.frame(to: .broadcast, from: T.mac(4), vlan: 20)])
        // Tagged 20 from the trunk: one copy, as it came.
        let tagged = T.frame(to: .broadcast, from: T.mac(5), vlan: 20, pcp: 6)
        #expect(sw.deliveries(tagged, on: "t").filter { $0.kind == .captureIncoming }.map(\.frame) == [tagged])
        // VLAN 10 and dropped frames: nothing.
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a").allSatisfy { $0.kind == .forward })
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(6), vlan: 30), on: "t").isEmpty)
        #expect(sw.captured["v20"]?.count == 2)
    }

    @Test func aPortCaptureWithAVLANFilterAndACaptureOfAPortThatLeft() {
        let sw = world()
        sw.startCapture("t20", port: "t", vlan: 20)
        sw.startCapture("b", port: "b")
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a").filter { $0.port == "t20" }.isEmpty)
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "d").filter { $0.port == "t20" }.count == 1)
        // b leaves the bridge: its capture gets nothing more, the other still works.
        var cfg = sw.config
        cfg.ports.removeAll { $0.name == "b" }
        sw.reconfigure(cfg)
        let before = sw.captured["b"]?.count ?? 0
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a").filter { $0.port == "b" }.isEmpty)
        #expect((sw.captured["b"]?.count ?? 0) == before)
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "t").filter { $0.port == "t20" }.isEmpty,
                "untagged on t is VLAN... t has no native VLAN: dropped, and the filter wants 20")
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4), vlan: 20), on: "t").filter { $0.port == "t20" }.count == 1)
    }
}
