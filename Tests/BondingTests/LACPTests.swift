import Bonding
import Testing

/// Two LACP bonds wired member to member on one manual clock.
final class LACPPair {
    let a: LACPAggregator, b: LACPAggregator
    var now: Int64 = 0
    var cut: Set<Int> = []
    /// Members of `b` whose LACPDUs are lost (a partner that stops sending).
    var silentB: Set<Int> = []

    init(members: Int, bKey: UInt16 = 7, bMode: LACPMode = .active) {
        a = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 0xA], key: 1, now: 0)
        b = LACPAggregator(mode: bMode, fastRate: true, system: [2, 0, 0, 0, 0, 0xB], key: bKey, now: 0)
        for i in 0..<members { a.addMember("a\(i)"); b.addMember("b\(i)") }
    }

    func deliver() {
        for _ in 0..<20 {
            let fa = a.takeFrames(), fb = b.takeFrames()
            if fa.isEmpty && fb.isEmpty { return }
            for (m, f) in fa where !cut.contains(m) { f.withUnsafeBytes { b.receive(m, frame: $0) } }
            for (m, f) in fb where !cut.contains(m) && !silentB.contains(m) { f.withUnsafeBytes { a.receive(m, frame: $0) } }
        }
    }

    func run(for ms: Int64) {
        let end = now + ms
        deliver()
        while now < end {
            now += 100
            a.advance(to: now); b.advance(to: now)
            deliver()
        }
    }
}

@Suite("LACP")
struct LACPTests {
    @Test func lacpduRoundTripsAndBadOnesAreRefused() throws {
        var pdu = LACPDU(actor: LACPParticipant(systemPriority: 100, system: [2, 0, 0, 0, 0, 1], key: 5, portPriority: 255, port: 3,
                                                state: [.activity, .aggregation, .synchronization]),
                         partner: LACPParticipant(system: [2, 0, 0, 0, 0, 2], key: 9, port: 4, state: [.shortTimeout]))
        pdu.collectorMaxDelay = 0
        let frame = LACPDUCodec.encode(pdu, source: [2, 0, 0, 0, 0, 1])
        #expect(frame.count == 124)
        #expect(Array(frame[12..<18]) == [0x88, 0x09, 0x01, 0x01, 0x01, 20])
        #expect(try frame.withUnsafeBytes { LACPDUCodec.decode($0) }.get() == pdu)
        #expect(Array(frame[0..<30]).withUnsafeBytes { LACPDUCodec.decode($0) } == .failure(.truncated(30)))
        var tlv = frame; tlv[16] = 9
        #expect(tlv.withUnsafeBytes { LACPDUCodec.decode($0) } == .failure(.badTLV(type: 9, length: 20)))
        var marker = frame; marker[14] = 2  // the marker protocol, not LACP
        #expect(marker.withUnsafeBytes { LACPDUCodec.decode($0) } == .failure(.notLACP))
    }

    @Test func bothMembersAggregateWithinASecondAndACutMemberLeaves() {
        let pair = LACPPair(members: 2)
        pair.run(for: 1000)
        #expect(pair.a.activeMembers == [0, 1] && pair.b.activeMembers == [0, 1])
        pair.cut.insert(1)
        pair.a.setLink(1, up: false); pair.b.setLink(1, up: false)
        pair.run(for: 200)
        #expect(pair.a.activeMembers == [0] && pair.b.activeMembers == [0])
    }

    @Test func aSilentPartnerExpiresAfterThreeFastPeriods() {
        let pair = LACPPair(members: 2)
        pair.run(for: 1000)
        pair.silentB.insert(1)
        // The last LACPDU came at most 1 s before the silence: still aggregated 1.5 s in, gone 3.5 s in.
        pair.run(for: 1500)
        #expect(pair.a.activeMembers == [0, 1], "expired too early")
        pair.run(for: 2000)
        #expect(pair.a.activeMembers == [0], "a silent partner still aggregated after 3.5 s")
    }

    @Test func passiveAnswersActiveAndTwoPassivesNeverAggregate() {
        let pair = LACPPair(members: 1, bMode: .passive)
        pair.run(for: 1000)
        #expect(pair.a.activeMembers == [0] && pair.b.activeMembers == [0])
        let quiet = LACPAggregator(mode: .passive, fastRate: true, system: [2, 0, 0, 0, 0, 1], key: 1, now: 0)
        quiet.addMember("x")
        quiet.advance(to: 5000)
        #expect(quiet.takeFrames().isEmpty)
    }

    @Test func onlyMembersFacingTheSameLAGAggregate() {
        // a's member 1 is wired to another system: it stays out of the aggregate.
        let a = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 0xA], key: 1, now: 0)
        a.addMember("a0"); a.addMember("a1")
        let b = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 0xB], key: 7, now: 0)
        b.addMember("b0")
        let c = LACPAggregator(mode: .active, fastRate: true, system: [2, 0, 0, 0, 0, 0xC], key: 7, now: 0)
        c.addMember("c0")
        for t in stride(from: Int64(0), through: 2000, by: 100) {
            for x in [a, b, c] { x.advance(to: t) }
            for _ in 0..<5 {
                for (m, f) in a.takeFrames() { f.withUnsafeBytes { m == 0 ? b.receive(0, frame: $0) : c.receive(0, frame: $0) } }
                for (_, f) in b.takeFrames() { f.withUnsafeBytes { a.receive(0, frame: $0) } }
                for (_, f) in c.takeFrames() { f.withUnsafeBytes { a.receive(1, frame: $0) } }
            }
        }
        #expect(a.activeMembers == [0])
        #expect(!a.members[1].selected)
    }
}

@Suite("Bond hashing")
struct BondHasherTests {
    static func tcp(_ sport: UInt16, src: UInt8 = 1) -> [UInt8] {
        var f: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, src, 0x08, 0x00]
        f += [0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, 2]
        f += [UInt8(sport >> 8), UInt8(sport & 0xFF), 0, 80] + [UInt8](repeating: 0, count: 16)
        return f
    }

    @Test func oneFlowOneMemberAndFlowsSpread() {
        var h = BondHasher(mode: .balanceTCP)
        h.setEnabled([0, 1])
        let first = Self.tcp(40000).withUnsafeBytes { h.member(for: $0) }
        for _ in 0..<10 { #expect(Self.tcp(40000).withUnsafeBytes { h.member(for: $0) } == first) }
        let used = Set((40000..<40064).map { p in Self.tcp(UInt16(p)).withUnsafeBytes { h.member(for: $0) } })
        #expect(used == [0, 1], "64 flows all on one member")
    }

    @Test func aFailedMembersBucketsMoveAndTheOthersStay() {
        var h = BondHasher(mode: .balanceSLB)
        h.setEnabled([0, 1, 2])
        let before = h.buckets
        h.setEnabled([0, 2])
        for i in before.indices where before[i] != 1 { #expect(h.buckets[i] == before[i]) }
        #expect(!h.buckets.contains(1) && !h.buckets.contains(-1))
        h.setEnabled([])
        #expect(Self.tcp(1).withUnsafeBytes { h.member(for: $0) } == -1)
        var ab = BondHasher(mode: .activeBackup)
        ab.setEnabled([0, 1]); #expect(ab.activeMember == 0)
        ab.setEnabled([1]); #expect(ab.activeMember == 1)
        ab.setEnabled([0, 1]); #expect(ab.activeMember == 1, "active-backup switched back without need")
    }
}
