import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// Port mirrors through the decision pipeline: which frames are copied, that copies are the frames
/// as received, and that a mirror's output port carries nothing but copies.
@Suite("Mirrors")
struct MirrorTests {
    /// a, b, c on VLAN 10, d on VLAN 20, t a trunk of both; the mirrors' outputs (span, span2) carry every VLAN.
    func world(_ mirrors: [MirrorConfig]) -> InMemorySwitch {
        let outputs = Set(mirrors.map(\.output)).sorted().map { T.plain($0) }
        return InMemorySwitch(BridgeConfig(name: "br0", ports: [
            T.access("a", 10), T.access("b", 10), T.access("c", 10), T.access("d", 20), T.trunk("t", "10,20"),
        ] + outputs, mirrors: mirrors))
    }

    func copies(_ out: [InMemorySwitch.Delivery]) -> [String] { out.filter { $0.kind == .mirror }.map(\.port).sorted() }
    func forwards(_ out: [InMemorySwitch.Delivery]) -> [String] { out.filter { $0.kind == .forward }.map(\.port).sorted() }

    @Test func selectAllCopiesEveryForwardedFrameUnedited() {
        let sw = world([MirrorConfig(name: "m", selectAll: true, output: "span")])
        let bcast = T.frame(to: .broadcast, from: T.mac(1))
        let out = sw.deliveries(bcast, on: "a")
        #expect(forwards(out) == ["b", "c", "t"])
        #expect(copies(out) == ["span"])
        #expect(out.first { $0.kind == .mirror }?.frame == bcast, "the copy is the frame as it arrived")
        // The trunk's forward got its tag; the copy did not.
        #expect(out.first { $0.port == "t" }?.frame == T.frame(to: .broadcast, from: T.mac(1), vlan: 10))
        // A known unicast is copied too, and a tagged frame's copy keeps its tag.
        sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "b")
        let tagged = T.frame(to: T.mac(2), from: T.mac(3), vlan: 10, pcp: 5)
        let uni = sw.deliveries(tagged, on: "t")
        #expect(forwards(uni) == ["b"] && copies(uni) == ["span"])
        #expect(uni.first { $0.kind == .mirror }?.frame == tagged)
        // Copies come after the forwards of their frame.
        #expect(uni.map(\.kind) == [.forward, .mirror])
    }

    @Test func theOutputPortCarriesOnlyCopies() {
        let sw = InMemorySwitch(BridgeConfig(name: "br0", ports: [T.access("a", 10), T.access("b", 10), T.access("span", 10)],
                                             staticMACs: [StaticMAC(mac: T.mac(9), vlan: T.vlan(10), port: "span")],
                                             mirrors: [MirrorConfig(name: "m", selectPorts: ["a"], output: "span")]))
        // Floods skip it (it still gets the copy of a's frame).
        let out = sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")
        #expect(forwards(out) == ["b"] && copies(out) == ["span"])
        // A flood from b is selected as it leaves by a: a copy, and no flood to span besides.
        let fromB = sw.deliveries(T.frame(to: .broadcast, from: T.mac(2)), on: "b")
        #expect(fromB.map { "\($0.kind):\($0.port)" } == ["forward:a", "mirror:span"])
        // A frame that neither enters nor leaves by a: nothing for span.
        #expect(sw.deliveries(T.frame(to: T.mac(2), from: T.mac(3)), on: "b").isEmpty)
        #expect(sw.dropCount("b", .destinationOnIngress) == 1)
        // What arrives on it is dropped and learns nothing.
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(5)), on: "span").isEmpty)
        #expect(sw.dropCount("span", .mirrorOutput) == 1)
        #expect(sw.engine.table.lookup(T.mac(5), vlan: 10) == nil)
        // Even a static MAC pinned there gets no frame (and a dropped frame gets no copy).
        #expect(sw.deliveries(T.frame(to: T.mac(9), from: T.mac(1)), on: "a").isEmpty)
        #expect(sw.dropCount("a", .mirrorOutput) == 1)
    }

    @Test func selectPortsCopiesFramesEnteringOrLeavingThem() {
        let sw = world([MirrorConfig(name: "m", selectPorts: ["b"], output: "span")])
        for (p, m) in [("a", 1), ("b", 2), ("c", 3)] as [(String, UInt64)] { sw.inject(T.frame(to: .broadcast, from: T.mac(99)), on: p); sw.inject(T.frame(to: T.mac(99), from: T.mac(m)), on: p) }
        // a → c: neither end is b.
        #expect(copies(sw.deliveries(T.frame(to: T.mac(3), from: T.mac(1)), on: "a")).isEmpty)
        // a → b: leaves by b.
        #expect(copies(sw.deliveries(T.frame(to: T.mac(2), from: T.mac(1)), on: "a")) == ["span"])
        // b → c: enters by b.
        #expect(copies(sw.deliveries(T.frame(to: T.mac(3), from: T.mac(2)), on: "b")) == ["span"])
        // A flood from a reaches b: copied once.
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == ["span"])
        // A flood in VLAN 20 from d never reaches b: no copy.
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "d")).isEmpty)
    }

    @Test func selectVLANsCopiesOnlyThoseVLANs() {
        let sw = world([MirrorConfig(name: "m", selectVLANs: [T.vlan(20)], output: "span")])
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")).isEmpty)
        let v20 = T.frame(to: .broadcast, from: T.mac(2), vlan: 20)
        let out = sw.deliveries(v20, on: "t")
        #expect(forwards(out) == ["d"] && copies(out) == ["span"])
        #expect(out.first { $0.kind == .mirror }?.frame == v20)
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "d")) == ["span"])
    }

    @Test func droppedFramesAreNotCopiedAndSeveralMirrorsEachGetOne() {
        let sw = world([MirrorConfig(name: "all", selectAll: true, output: "span"),
                        MirrorConfig(name: "ten", selectVLANs: [T.vlan(10)], output: "span2")])
        #expect(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1), vlan: 10), on: "a").isEmpty)  // tagged on access
        #expect(sw.dropCount("a", .taggedOnAccess) == 1)
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == ["span", "span2"])
        #expect(copies(sw.deliveries(T.frame(to: .broadcast, from: T.mac(4)), on: "d")) == ["span"])
    }
}
