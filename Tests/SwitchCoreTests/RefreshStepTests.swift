import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// The MAC table's refresh step: seeing a known source again stores a new time only when the
/// entry's is at least `refreshMillis` old, so datapath threads do not write shared entries per
/// millisecond; aging is then early by less than one step.
@Suite("MAC refresh step")
struct RefreshStepTests {
    let a = T.mac(0xA), b = T.mac(0xB)

    @Test func withinTheStepTheTimeStaysAfterItItMoves() {
        let table = MACLearningTable(capacity: 16, agingMillis: 10_000)
        #expect(table.refreshMillis == 1)   // the table alone: every new millisecond refreshes
        table.refreshMillis = 100
        table.learn(a, vlan: 1, port: 0, now: 1_000)
        #expect(table.learn(a, vlan: 1, port: 0, now: 1_099) == .refreshed)
        #expect(table.entries().first?.lastSeen == 1_000)          // within the step: unchanged
        #expect(table.learn(a, vlan: 1, port: 0, now: 1_100) == .refreshed)
        #expect(table.entries().first?.lastSeen == 1_100)          // a step old: refreshed
        // A move is never held back by the step.
        #expect(table.learn(a, vlan: 1, port: 1, now: 1_101) == .moved(from: 0))
        #expect(table.lookup(a, vlan: 1) == 1)
    }

    @Test func agingIsEarlyByLessThanOneStep() {
        let table = MACLearningTable(capacity: 16, agingMillis: 10_000)
        table.refreshMillis = 100
        table.learn(a, vlan: 1, port: 0, now: 0)
        table.learn(a, vlan: 1, port: 0, now: 99)       // not stored: the entry keeps time 0
        #expect(table.expire(now: 9_999) == 0)
        #expect(table.expire(now: 10_000) == 1)          // 99 ms early, less than the step
        table.learn(b, vlan: 1, port: 0, now: 20_000)
        table.learn(b, vlan: 1, port: 0, now: 20_100)   // stored
        #expect(table.expire(now: 30_099) == 0)
        #expect(table.expire(now: 30_100) == 1)
    }

    @Test func oneStepWithTheDefaultTableKeepsExactLRU() {
        let table = MACLearningTable(capacity: 2, agingMillis: 1_000_000)
        table.learn(a, vlan: 1, port: 0, now: 1)
        table.learn(b, vlan: 1, port: 0, now: 2)
        table.learn(a, vlan: 1, port: 0, now: 3)        // refreshed: b is now the oldest
        #expect(table.learn(T.mac(0xC), vlan: 1, port: 0, now: 4) == .evicted(port: 0))
        #expect(table.lookup(b, vlan: 1) == nil)
        #expect(table.lookup(a, vlan: 1) == 0)
    }

    @Test(arguments: [(Int64(10), Int64(1)), (100, 1), (10_000, 100), (300_000, 1_000), (3_600_000, 1_000)])
    func bridgesUseOnePercentOfTheAgingTime(aging: Int64, step: Int64) {
        #expect(BridgeEngine.refreshMillis(agingMillis: aging) == step)
    }

    @Test func aBridgeSetsItsStepAndReconfigurationChangesIt() {
        let sw = T.bridge([T.access("p1", 10), T.access("p2", 10)], aging: 300)
        #expect(sw.engine.table.refreshMillis == 1_000)
        var cfg = sw.config
        cfg.macAging = 10
        sw.reconfigure(cfg)
        #expect(sw.engine.table.refreshMillis == 100)
    }
}
