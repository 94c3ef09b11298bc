import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Static MAC entries")
struct StaticEntryTests {
    let pinned = T.mac(0x5)

    func sw(size: Int = 8192, aging: Int = 10) -> InMemorySwitch {
        T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)], aging: aging, size: size,
                 statics: [StaticMAC(mac: pinned, vlan: T.vlan(10), port: "p2")])
    }

    @Test func staticEntryForwardsWithoutLearning() throws {
        let s = sw()
        #expect(s.destinations(T.frame(to: pinned, from: T.mac(1)), on: "p1") == ["p2"])
        let e = try #require(s.engine.table.entries().first { $0.mac == pinned })
        #expect(e.isStatic && e.port == s.portID("p2") && e.vlan == 10)
        #expect(s.engine.table.staticCount == 1)
    }

    @Test func staticEntryIsPerVLAN() {
        let s = T.bridge([T.trunk("t", "10,20"), T.access("a10", 10), T.access("b10", 10), T.access("a20", 20),
                          T.access("b20", 20)],
                         statics: [StaticMAC(mac: pinned, vlan: T.vlan(10), port: "a10")])
        #expect(s.destinations(T.frame(to: pinned, from: T.mac(1), vlan: 10), on: "t") == ["a10"])
        #expect(T.ports(s.inject(T.frame(to: pinned, from: T.mac(1), vlan: 20), on: "t")) == ["a20", "b20"])
    }

    @Test func staticEntriesNeverAge() {
        let s = sw()
        s.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "p1")
        #expect(s.engine.expire(now: 1_000_000_000) == 1)
        #expect(s.engine.table.lookup(pinned, vlan: 10) == s.portID("p2"))
        #expect(s.engine.table.lookup(T.mac(1), vlan: 10) == nil)
    }

    @Test func learningDoesNotMoveAStaticEntry() {
        let s = sw()
        let outcome = s.engine.table.learn(pinned, vlan: 10, port: s.portID("p3")!, now: 0)
        #expect(outcome == .staticEntry)
        s.inject(T.frame(to: .broadcast, from: pinned), on: "p1")
        s.inject(T.frame(to: .broadcast, from: pinned), on: "p3")
        #expect(s.engine.table.lookup(pinned, vlan: 10) == s.portID("p2"))
        #expect(s.engine.table.movedTotal == 0)
        #expect(s.engine.table.learnedCount == 0)
        #expect(s.destinations(T.frame(to: pinned, from: T.mac(1)), on: "p1") == ["p2"])
    }

    @Test func staticEntriesAreNeverEvicted() {
        let statics = (1...5).map { StaticMAC(mac: T.mac(UInt64(0x500 + $0)), vlan: T.vlan(10), port: "p\($0 % 3 + 1)") }
        let s = T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)], size: 16, statics: statics)
        var rng = SplitMix64(seed: 3)
        for i in 0..<2_000 {
            s.inject(T.frame(to: .broadcast, from: rng.unicastMAC()), on: "p\(i % 3 + 1)")
        }
        for st in statics { #expect(s.engine.table.lookup(st.mac, vlan: 10) == s.portID(st.port)) }
        #expect(s.engine.table.staticCount == 5)
        #expect(s.engine.table.learnedCount == 16)  // statics are outside the learned cap
    }

    @Test func staticReplacesALearnedEntry() {
        let table = MACLearningTable(capacity: 16, agingMillis: 1_000)
        table.learn(T.mac(1), vlan: 1, port: 3, now: 0)
        table.addStatic(T.mac(1), vlan: 1, port: 4)
        #expect(table.lookup(T.mac(1), vlan: 1) == 4)
        #expect(table.learnedCount == 0 && table.staticCount == 1)
        #expect(table.count(of: 3) == 0)
        #expect(table.expire(now: 10_000) == 0)
        #expect(table.removeStatic(T.mac(1), vlan: 1))
        #expect(!table.removeStatic(T.mac(1), vlan: 1))
        #expect(table.lookup(T.mac(1), vlan: 1) == nil)
        // And the slot is reusable for learning.
        #expect(table.learn(T.mac(1), vlan: 1, port: 3, now: 0) == .added)
    }

    @Test func flushKeepsStaticsUnlessAsked() {
        let s = sw()
        s.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "p2")
        #expect(s.engine.table.flush() == 1)
        #expect(s.engine.table.lookup(pinned, vlan: 10) == s.portID("p2"))
        #expect(s.engine.table.flush(port: s.portID("p2"), includingStatic: true) == 1)
        #expect(s.engine.table.lookup(pinned, vlan: 10) == nil)
        #expect(s.engine.table.staticCount == 0)
    }

    @Test func reconfigureAddsMovesAndRemovesStatics() {
        let s = sw()
        var cfg = s.config
        cfg.staticMACs = [StaticMAC(mac: pinned, vlan: T.vlan(10), port: "p3"),
                          StaticMAC(mac: T.mac(6), vlan: T.vlan(10), port: "p1")]
        s.reconfigure(cfg)
        #expect(s.engine.table.lookup(pinned, vlan: 10) == s.portID("p3"))
        #expect(s.engine.table.lookup(T.mac(6), vlan: 10) == s.portID("p1"))
        #expect(s.engine.table.staticCount == 2)
        cfg.staticMACs = []
        s.reconfigure(cfg)
        #expect(s.engine.table.lookup(pinned, vlan: 10) == nil)
        #expect(s.engine.table.staticCount == 0)
        #expect(T.ports(s.inject(T.frame(to: pinned, from: T.mac(1)), on: "p1")) == ["p2", "p3"])
    }
}
