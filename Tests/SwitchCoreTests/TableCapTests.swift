import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("MAC table size cap and fairness")
struct TableCapTests {
    @Test func defaultCapIs8192() {
        let sw = InMemorySwitch(BridgeConfig(name: "br0", ports: [T.access("p1", 10)]))
        #expect(sw.engine.table.capacity == 8192)
    }

    @Test func tableNeverExceedsItsCap() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)], size: 32)
        var rng = SplitMix64(seed: 1)
        for i in 0..<3_000 {
            sw.inject(T.frame(to: .broadcast, from: rng.unicastMAC()), on: "p\(i % 3 + 1)")
            #expect(sw.engine.table.learnedCount <= 32)
        }
        #expect(sw.engine.table.learnedCount == 32)
        #expect(sw.engine.table.entries().count == 32)
        #expect(sw.engine.table.evictedTotal == 3_000 - 32)
    }

    @Test func oneFloodingPortCannotEvictOtherPorts() {
        let cap = 64
        let sw = T.bridge([T.access("vm1", 10), T.access("vm2", 10), T.access("vm3", 10), T.access("bad", 10)],
                          size: cap)
        // Three well-behaved ports with five MACs each.
        var legit: [(MACAddress, String)] = []
        for (p, port) in ["vm1", "vm2", "vm3"].enumerated() {
            for i in 0..<5 {
                let m = T.mac(UInt64(p * 16 + i + 1))
                sw.inject(T.frame(to: .broadcast, from: m), on: port)
                legit.append((m, port))
            }
        }
        // The bad port floods thousands of random sources.
        var rng = SplitMix64(seed: 42)
        var sent = Set<MACAddress>()
        while sent.count < 5_000 {
            let m = rng.unicastMAC()
            guard sent.insert(m).inserted else { continue }
            sw.now += 1
            sw.inject(T.frame(to: .broadcast, from: m), on: "bad")
            #expect(sw.engine.table.learnedCount <= cap)
        }
        for (m, port) in legit {
            #expect(sw.engine.table.lookup(m, vlan: 10) == sw.portID(port), "\(m) of \(port) evicted")
        }
        #expect(sw.engine.table.count(of: sw.portID("bad")!) == cap - legit.count)
        #expect(sw.engine.table.evictedTotal == UInt64(5_000 - (cap - legit.count)))
        // And the well-behaved ports still get unicast, not floods.
        #expect(sw.destinations(T.frame(to: legit[0].0, from: legit[14].0), on: "vm3") == ["vm1"])
    }

    @Test func floodingPortKeepsItsNewestEntries() {
        let cap = 16
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], size: cap)
        let macs = (1...100).map { T.mac(UInt64($0)) }
        for (i, m) in macs.enumerated() {
            sw.now = Int64(i)
            sw.inject(T.frame(to: .broadcast, from: m), on: "p1")
        }
        for (i, m) in macs.enumerated() {
            #expect((sw.engine.table.lookup(m, vlan: 10) != nil) == (i >= 100 - cap))
        }
    }

    @Test func evictionTakesTheOldestNotTheRefreshed() {
        let table = MACLearningTable(capacity: 4, agingMillis: 1_000_000)
        for i in 1...4 { table.learn(T.mac(UInt64(i)), vlan: 1, port: 0, now: Int64(i)) }
        #expect(table.learn(T.mac(1), vlan: 1, port: 0, now: 10) == .refreshed)
        #expect(table.learn(T.mac(5), vlan: 1, port: 0, now: 11) == .evicted(port: 0))
        #expect(table.lookup(T.mac(2), vlan: 1) == nil)      // oldest unrefreshed went
        #expect(table.lookup(T.mac(1), vlan: 1) == 0)
        #expect(table.lookup(T.mac(5), vlan: 1) == 0)
        #expect(table.evictedTotal == 1)
    }

    @Test func victimIsThePortHoldingTheMost() {
        let table = MACLearningTable(capacity: 10, agingMillis: 1_000_000)
        for i in 0..<7 { table.learn(T.mac(UInt64(100 + i)), vlan: 1, port: 1, now: 0) }
        for i in 0..<3 { table.learn(T.mac(UInt64(200 + i)), vlan: 1, port: 2, now: 0) }
        // A newcomer on port 3 takes from port 1 (7 entries), not port 2.
        #expect(table.learn(T.mac(300), vlan: 1, port: 3, now: 1) == .evicted(port: 1))
        #expect(table.count(of: 1) == 6 && table.count(of: 2) == 3 && table.count(of: 3) == 1)
        #expect(table.lookup(T.mac(100), vlan: 1) == nil)
    }

    @Test func perPortLimit() {
        let table = MACLearningTable(capacity: 100, agingMillis: 1_000_000)
        table.setPerPortLimit(3)
        for i in 0..<10 { table.learn(T.mac(UInt64(i + 1)), vlan: 1, port: 0, now: Int64(i)) }
        table.learn(T.mac(50), vlan: 1, port: 1, now: 0)
        #expect(table.count(of: 0) == 3)
        #expect(table.count(of: 1) == 1)
        #expect((8...10).allSatisfy { table.lookup(T.mac(UInt64($0)), vlan: 1) == 0 })
        #expect(table.evictedTotal == 7)
    }

    @Test func shrinkingTheTableOnReconfigureEvictsDownToTheCap() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], size: 64)
        for i in 0..<60 { sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(i + 1))), on: i < 50 ? "p1" : "p2") }
        #expect(sw.engine.table.learnedCount == 60)
        var cfg = sw.config
        cfg.macTableSize = 16
        sw.reconfigure(cfg)
        #expect(sw.engine.table.capacity == 16)
        #expect(sw.engine.table.learnedCount == 16)
        #expect(sw.engine.table.count(of: sw.portID("p2")!) == 8)  // fair: p1 loses first, then both
        #expect(sw.engine.table.evictedTotal == 44)
        // And it stays capped.
        for i in 0..<100 { sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(1000 + i))), on: "p1") }
        #expect(sw.engine.table.learnedCount == 16)
    }

    @Test func growingTheTableKeepsEntries() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], size: 16)
        for i in 0..<16 { sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(i + 1))), on: "p1") }
        var cfg = sw.config
        cfg.macTableSize = 1024
        sw.reconfigure(cfg)
        #expect(sw.engine.table.learnedCount == 16)
        for i in 0..<100 { sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(1000 + i))), on: "p2") }
        #expect(sw.engine.table.learnedCount == 116)
        #expect(sw.engine.table.evictedTotal == 0)
    }
}

@Suite("MACLearningTable basics")
struct MACLearningTableBasicsTests {
    @Test func outcomesAndCounters() {
        let t = MACLearningTable(capacity: 8, agingMillis: 100)
        #expect(t.learn(T.mac(1), vlan: 1, port: 0, now: 0) == .added)
        #expect(t.learn(T.mac(1), vlan: 1, port: 0, now: 1) == .refreshed)
        #expect(t.learn(T.mac(1), vlan: 1, port: 7, now: 2) == .moved(from: 0))
        #expect(t.learn(T.mac(1), vlan: 2, port: 0, now: 3) == .added)
        #expect(t.learnedCount == 2 && t.learnedTotal == 2 && t.movedTotal == 1)
        #expect(t.count(of: 7) == 1 && t.count(of: 0) == 1 && t.count(of: 1000) == 0)
        let e = t.entries()
        #expect(e.map(\.port) == [0, 7])
        #expect(e.map(\.vlan) == [2, 1])
        #expect(e.map(\.lastSeen) == [3, 2])
    }

    @Test func capacityIsAtLeastOne() {
        let t = MACLearningTable(capacity: 0, agingMillis: 100)
        #expect(t.capacity == 1)
        t.learn(T.mac(1), vlan: 1, port: 0, now: 0)
        t.learn(T.mac(2), vlan: 1, port: 1, now: 0)
        #expect(t.learnedCount == 1)
        #expect(t.lookup(T.mac(2), vlan: 1) == 1)
    }

    @Test func randomOperationsKeepCountsConsistent() {
        let t = MACLearningTable(capacity: 50, agingMillis: 1_000)
        var rng = SplitMix64(seed: 99)
        var now: Int64 = 0
        for _ in 0..<50_000 {
            now += Int64(rng.next() % 20)
            let mac = T.mac(rng.next() % 200 + 1), vlan = UInt16(rng.next() % 3 + 1), port = UInt32(rng.next() % 6)
            switch rng.next() % 100 {
            case 0..<80: t.learn(mac, vlan: vlan, port: port, now: now)
            case 80..<85: t.expire(now: now)
            case 85..<90: t.addStatic(mac, vlan: vlan, port: port)
            case 90..<95: t.removeStatic(mac, vlan: vlan)
            case 95..<98: t.flush(port: port)
            default: t.flush(port: port, includingStatic: true)
            }
            #expect(t.learnedCount <= 50)
        }
        let entries = t.entries()
        #expect(entries.filter { !$0.isStatic }.count == t.learnedCount)
        #expect(entries.filter(\.isStatic).count == t.staticCount)
        #expect((0..<6).map { t.count(of: UInt32($0)) }.reduce(0, +) == t.learnedCount)
        for e in entries { #expect(t.lookup(e.mac, vlan: e.vlan) == e.port) }
    }
}
