import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("MAC aging")
struct AgingTests {
    let a = T.mac(0xA), b = T.mac(0xB), c = T.mac(0xC)

    @Test func defaultAgingIs300Seconds() {
        let sw = InMemorySwitch(BridgeConfig(name: "br0", ports: [T.access("p1", 10), T.access("p2", 10)]))
        #expect(sw.engine.table.agingMillis == 300_000)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        #expect(sw.engine.expire(now: 299_999) == 0)
        #expect(sw.engine.table.lookup(a, vlan: 10) != nil)
        #expect(sw.engine.expire(now: 300_000) == 1)
        #expect(sw.engine.table.lookup(a, vlan: 10) == nil)
        #expect(sw.engine.table.agedTotal == 1)
        #expect(sw.engine.table.learnedCount == 0)
    }

    @Test(arguments: [10, 60, 300, 3600])
    func entriesExpireAfterMacAging(seconds: Int) {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)], aging: seconds)
        let ms = Int64(seconds) * 1000
        sw.now = 5_000
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        sw.now = 5_000 + ms - 1
        sw.engine.expire(now: sw.now)
        #expect(sw.destinations(T.frame(to: a, from: b), on: "p2") == ["p1"])
        sw.now = 5_000 + ms
        sw.engine.expire(now: sw.now)
        #expect(sw.engine.table.lookup(a, vlan: 10) == nil)
        // Forgotten: traffic to it floods again.
        #expect(T.ports(sw.inject(T.frame(to: a, from: b), on: "p2")) == ["p1", "p3"])
    }

    @Test func refreshedEntriesSurvive() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)], aging: 10)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")   // t=0
        sw.inject(T.frame(to: .broadcast, from: b), on: "p2")   // t=0
        sw.now = 8_000
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")   // a refreshed at 8 s
        sw.now = 10_000
        #expect(sw.engine.expire(now: sw.now) == 1)              // only b
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("p1"))
        #expect(sw.engine.table.lookup(b, vlan: 10) == nil)
        #expect(sw.engine.expire(now: 17_999) == 0)
        #expect(sw.engine.expire(now: 18_000) == 1)
        #expect(sw.engine.table.learnedCount == 0)
        #expect(sw.engine.table.agedTotal == 2)
    }

    @Test func refreshReordersWithinAPort() {
        // Several MACs behind one port: the refreshed one must outlive the ones learned after it.
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], aging: 10)
        for (t, m) in [(0, a), (1_000, b), (2_000, c)] {
            sw.now = Int64(t)
            sw.inject(T.frame(to: .broadcast, from: m), on: "p1")
        }
        sw.now = 5_000
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        #expect(sw.engine.expire(now: 11_000) == 1)   // b (1 s) aged; c (2 s) is younger than 10 s... 9 s
        #expect(sw.engine.table.lookup(b, vlan: 10) == nil)
        #expect(sw.engine.table.lookup(c, vlan: 10) != nil)
        #expect(sw.engine.expire(now: 12_000) == 1)   // c
        #expect(sw.engine.table.lookup(a, vlan: 10) != nil)
        #expect(sw.engine.expire(now: 15_000) == 1)   // a
        #expect(sw.engine.table.learnedCount == 0)
    }

    @Test func trafficToAMACDoesNotRefreshIt() {
        // Only frames FROM a MAC refresh its entry (Linux bridge / OVS behaviour).
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], aging: 10)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        for t in stride(from: 1_000, through: 9_000, by: 1_000) {
            sw.now = Int64(t)
            sw.inject(T.frame(to: a, from: b), on: "p2")
        }
        #expect(sw.engine.expire(now: 10_000) == 1)
        #expect(sw.engine.table.lookup(a, vlan: 10) == nil)
        #expect(sw.engine.table.lookup(b, vlan: 10) != nil)
    }

    @Test func movedEntryAgesFromTheMove() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], aging: 10)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        sw.now = 7_000
        sw.inject(T.frame(to: .broadcast, from: a), on: "p2")
        #expect(sw.engine.expire(now: 10_000) == 0)
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("p2"))
        #expect(sw.engine.expire(now: 17_000) == 1)
    }

    @Test func reconfiguredAgingApplies() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], aging: 300)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        var cfg = sw.config
        cfg.macAging = 20
        sw.reconfigure(cfg)
        #expect(sw.engine.table.agingMillis == 20_000)
        #expect(sw.engine.table.lookup(a, vlan: 10) != nil)  // learned entries of remaining ports stay
        #expect(sw.engine.expire(now: 20_000) == 1)
    }

    @Test func manyEntriesAgeOutAcrossPorts() {
        let sw = T.bridge((1...4).map { T.access("p\($0)", 10) }, aging: 10)
        var rng = SplitMix64(seed: 7)
        var learned: [(MACAddress, Int64)] = []
        for i in 0..<400 {
            sw.now = Int64(i * 20)  // 0 ... 7.98 s
            let m = rng.unicastMAC()
            sw.inject(T.frame(to: .broadcast, from: m), on: "p\(i % 4 + 1)")
            learned.append((m, sw.now))
        }
        let cut: Int64 = 14_000
        sw.engine.expire(now: cut)
        for (m, t) in learned {
            #expect((sw.engine.table.lookup(m, vlan: 10) != nil) == (cut - t < 10_000))
        }
    }
}
