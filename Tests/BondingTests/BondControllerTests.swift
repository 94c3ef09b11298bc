import Bonding
import Testing

@Suite("Bond controller")
struct BondControllerTests {
    @Test func activeBackupFailsOverAfterDowndelayAndReturnsAfterUpdelay() {
        let c = BondController(mode: .activeBackup, members: ["e0", "e1"], carrier: [true, true], lacp: nil,
                               updelay: 200, downdelay: 100, now: 0)
        #expect(c.takeChanged())
        #expect(c.enabled == [true, true] && c.hasher.activeMember == 0)
        c.setCarrier(0, up: false)
        c.advance(to: 50)
        #expect(c.enabled == [true, true] && !c.takeChanged())  // within the down delay
        c.advance(to: 100)
        #expect(c.enabled == [false, true] && c.hasher.activeMember == 1 && c.takeChanged())
        #expect(c.takeEvents().map(\.kind) == ["bond-member-down"])
        c.setCarrier(0, up: true)
        c.advance(to: 250)
        #expect(c.enabled == [false, true])
        c.advance(to: 300)
        #expect(c.enabled == [true, true] && c.hasher.activeMember == 1)  // no fail-back: the active member stays
        #expect(c.takeEvents().map(\.kind) == ["bond-member-up"])
    }

    @Test func aCarrierBlipShorterThanTheDowndelayChangesNothing() {
        let c = BondController(mode: .balanceSLB, members: ["e0", "e1"], carrier: [true, true], lacp: nil,
                               updelay: 0, downdelay: 300, now: 0)
        _ = c.takeChanged()
        let buckets = c.hasher.buckets
        c.setCarrier(1, up: false)
        c.advance(to: 100)
        c.setCarrier(1, up: true)
        c.advance(to: 1000)
        #expect(!c.takeChanged() && c.hasher.buckets == buckets && c.takeEvents().isEmpty)
    }

    @Test func balanceSLBMovesOnlyTheFailedMembersBuckets() {
        let c = BondController(mode: .balanceSLB, members: ["e0", "e1", "e2"], carrier: [true, true, true], lacp: nil,
                               updelay: 0, downdelay: 0, now: 0)
        let before = c.hasher.buckets
        #expect(Set(before) == [0, 1, 2])
        c.setCarrier(2, up: false)
        let after = c.hasher.buckets
        #expect(!after.contains(2))
        for b in before.indices where before[b] != 2 { #expect(after[b] == before[b]) }
    }

    @Test func aMemberThatJoinsTakesItsShareOfBuckets() {
        let c = BondController(mode: .balanceTCP, members: ["e0", "e1"], carrier: [true, false], lacp: nil,
                               updelay: 0, downdelay: 0, now: 0)
        #expect(c.hasher.buckets.allSatisfy { $0 == 0 })
        c.setCarrier(1, up: true)
        #expect(c.hasher.buckets.filter { $0 == 1 }.count == 128 && c.hasher.buckets.filter { $0 == 0 }.count == 128)
    }

    @Test func withLACPNothingIsEnabledUntilThePartnerIsInSync() {
        let mine = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 1], key: 1, now: 0)
        let c = BondController(mode: .balanceTCP, members: ["e0", "e1"], carrier: [true, true], lacp: mine,
                               updelay: 0, downdelay: 0, now: 0)
        #expect(c.enabled == [false, false] && c.hasher.buckets.allSatisfy { $0 == -1 })
        let peer = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 2], key: 9, now: 0)
        peer.addMember("p0"); peer.addMember("p1")
        var now: Int64 = 0
        for _ in 0..<20 {
            now += 100
            c.advance(to: now); peer.advance(to: now)
            for _ in 0..<5 {
                for (m, f) in c.takeFrames() { f.withUnsafeBytes { peer.receive(m, frame: $0) } }
                for (m, f) in peer.takeFrames() { f.withUnsafeBytes { c.receive(m, frame: $0) } }
            }
        }
        #expect(c.enabled == [true, true])
        #expect(c.takeEvents().contains { $0.kind == "lacp-state" && $0.detail.contains("collecting distributing") })
        // The partner falls silent on e1: after 3 s (fast rate) e1 leaves the aggregate.
        for _ in 0..<40 {
            now += 100
            c.advance(to: now); peer.advance(to: now)
            for (m, f) in c.takeFrames() { f.withUnsafeBytes { peer.receive(m, frame: $0) } }
            for (m, f) in peer.takeFrames() where m == 0 { f.withUnsafeBytes { c.receive(m, frame: $0) } }
        }
        #expect(c.enabled == [true, false])
        #expect(c.hasher.buckets.allSatisfy { $0 == 0 })
    }
}
