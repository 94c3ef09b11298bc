@testable import SwitchCore
import TapestryModel
import Testing

/// A lock-free lookup that a removal overtakes must try again (`MACTableView.find`'s check of the
/// removal sequence lock). The removal is made to land exactly between the lookup's reading of the
/// table and its validation, on the looking-up thread, through the debug-only probe hook: so the
/// interleaving the check exists for happens every run, not once in a million.
@Suite("MAC table lookup retried when a removal overtakes it")
struct LookupRetryTests {
    static func mac(_ n: Int) -> MACAddress { MACAddress(rawValue: 0x0200_0000_0000 | UInt64(n)) }

    /// Two MACs (VLAN 1) whose search starts in the same bucket: the second one learned lives one
    /// bucket further.
    static func collidingPair(_ table: MACLearningTable) -> (MACAddress, MACAddress) {
        var firstByHome: [Int: MACAddress] = [:]
        for n in 1...100_000 {
            let m = mac(n)
            let h = table.homeBucket(m, vlan: 1)
            if let other = firstByHome[h] { return (other, m) }
            firstByHome[h] = m
        }
        fatalError("no two of 100,000 MACs share a home bucket")
    }

    /// Once, when `point` is reached: `body` (the removal).
    final class OneShot: @unchecked Sendable {
        var fired = false
        let point: MACTableView.ProbePoint
        let body: () -> Void
        init(at point: MACTableView.ProbePoint, _ body: @escaping () -> Void) { self.point = point; self.body = body }
        func hit(_ p: MACTableView.ProbePoint) {
            guard p == point, !fired else { return }
            fired = true
            body()
        }
    }

    @Test func aBackwardShiftUnderALookupDoesNotHideAPresentEntry() {
        let table = MACLearningTable(capacity: 64, agingMillis: 300_000)
        let (a, b) = Self.collidingPair(table)
        table.addStatic(a, vlan: 1, port: 1)
        table.addStatic(b, vlan: 1, port: 2)      // one bucket after a's
        // The lookup of b passes a's bucket; then a goes, and the backward shift moves b into the
        // bucket already passed and empties the one the lookup reads next.
        let shot = OneShot(at: .bucketPassed) { table.removeStatic(a, vlan: 1) }
        table.setProbeHook { shot.hit($0) }
        defer { table.setProbeHook(nil) }
        let found = table.lookup(b, vlan: 1)
        #expect(shot.fired)
        #expect(found == 2, "b was in the table throughout; a lookup racing the removal of a must still find it")
        #expect(table.lookup(a, vlan: 1) == nil)
    }

    @Test func aSlotFreedAndReusedUnderALookupIsNotReadAsTheOldEntry() {
        let table = MACLearningTable(capacity: 64, agingMillis: 300_000)
        let a = Self.mac(1), c = Self.mac(2)
        table.addStatic(a, vlan: 1, port: 1)
        // The lookup of a has read a's bucket and slot index; then a goes and c takes its slot
        // (the free list hands the slot out again at once) with another port and remote.
        let shot = OneShot(at: .keyMatched) {
            table.removeStatic(a, vlan: 1)
            table.addStatic(c, vlan: 1, port: 7, remote: 77)
        }
        table.setProbeHook { shot.hit($0) }
        defer { table.setProbeHook(nil) }
        let found = table.lookupWithRemote(a, vlan: 1)
        #expect(shot.fired)
        #expect(found == nil, "a was removed; it was never on port 7 behind remote 77 (got \(String(describing: found)))")
        #expect(table.lookupWithRemote(c, vlan: 1)?.port == 7)
    }

    @Test func withoutARemovalTheHookChangesNothing() {
        // The proof that the hook itself is harmless: passing buckets and matching keys, nothing removed.
        let table = MACLearningTable(capacity: 64, agingMillis: 300_000)
        let (a, b) = Self.collidingPair(table)
        table.addStatic(a, vlan: 1, port: 1)
        table.addStatic(b, vlan: 1, port: 2)
        final class Count: @unchecked Sendable { var passed = 0, matched = 0 }
        let count = Count()
        table.setProbeHook { p in if p == .bucketPassed { count.passed += 1 } else { count.matched += 1 } }
        defer { table.setProbeHook(nil) }
        #expect(table.lookup(b, vlan: 1) == 2)
        #expect(count.passed == 1 && count.matched == 1)
    }
}
