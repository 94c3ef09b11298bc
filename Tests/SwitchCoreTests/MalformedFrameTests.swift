import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Malformed and unforwardable frames")
struct MalformedFrameTests {
    func sw() -> InMemorySwitch { T.bridge([T.plain("p1"), T.plain("p2"), T.access("a10", 10)]) }
    let good = T.frame(to: .broadcast, from: T.mac(1))

    @Test(arguments: 0..<14)
    func runtsAreDropped(length: Int) {
        let s = sw()
        #expect(s.inject(Array(good.prefix(length)), on: "p1").isEmpty)
        #expect(s.dropCount("p1", .runt) == 1)
        #expect(s.engine.table.learnedCount == 0)
    }

    @Test func headerOnlyFrameIsForwarded() {
        let s = sw()
        #expect(T.ports(s.inject(Array(good.prefix(14)), on: "p1")) == ["p2"])
    }

    @Test(arguments: 14..<18)
    func truncatedTagIsDropped(length: Int) {
        let s = sw()
        let tagged = T.frame(to: .broadcast, from: T.mac(1), vlan: 1)
        #expect(s.inject(Array(tagged.prefix(length)), on: "p1").isEmpty)
        #expect(s.dropCount("p1", .truncatedTag) == 1)
        #expect(s.dropCount("p1", .runt) == 0)
    }

    @Test func minimalTaggedFrameIsForwardedAndPopped() {
        let s = sw()
        let tagged = Array(T.frame(to: .broadcast, from: T.mac(1), vlan: 10).prefix(18))
        let out = s.inject(tagged, on: "p1")
        #expect(T.ports(out) == ["a10", "p2"])
        #expect(out.first { $0.port == "a10" }?.frame == Array(tagged.prefix(12)) + Array(tagged[16..<18]))
        #expect(out.first { $0.port == "p2" }?.frame == tagged)
    }

    @Test(arguments: ["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01",
                      "01:80:c2:00:00:00", "03:00:00:00:00:01"])
    func invalidSourceIsDropped(source: String) {
        let s = sw()
        #expect(s.inject(T.frame(to: T.mac(2), from: MACAddress(source)!), on: "p1").isEmpty)
        #expect(s.dropCount("p1", .invalidSource) == 1)
        #expect(s.engine.table.learnedCount == 0)
    }

    @Test(arguments: 0x00...0x0F)
    func reservedLinkLocalGroupIsNotForwarded(last: Int) {
        let s = sw()
        let dst = MACAddress(rawValue: 0x0180_C200_0000 | UInt64(last))
        #expect(s.inject(T.frame(to: dst, from: T.mac(1)), on: "p1").isEmpty)
        #expect(s.dropCount("p1", .reservedGroup) == 1)
    }

    @Test(arguments: ["01:80:c2:00:00:10", "01:80:c2:00:00:20", "01:80:c2:00:01:00", "01:80:c3:00:00:00",
                      "01:00:0c:cc:cc:cc"])
    func otherGroupsAreFlooded(dst: String) {
        let s = sw()
        #expect(T.ports(s.inject(T.frame(to: MACAddress(dst)!, from: T.mac(1)), on: "p1")) == ["p2"])
        #expect(s.drops["p1"] == nil)
    }

    @Test func dropsAreCountedPerPortAndReason() {
        let s = sw()
        for _ in 0..<3 { s.inject([1, 2, 3], on: "p1") }
        for _ in 0..<2 { s.inject(T.frame(to: .broadcast, from: .zero), on: "p2") }
        s.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: 10), on: "a10")
        #expect(s.dropCount("p1", .runt) == 3)
        #expect(s.dropCount("p2", .invalidSource) == 2)
        #expect(s.dropCount("a10", .taggedOnAccess) == 1)
        #expect(s.dropCount("p2", .runt) == 0)
    }

    @Test func parseReadsFieldsInNetworkOrder() throws {
        let f: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
                          0x81, 0x00, 0x7f, 0xff, 0x08, 0x00]
        let h = try f.withUnsafeBytes { try FrameHeader.parse($0).get() }
        #expect(h.destination == MACAddress("01:02:03:04:05:06"))
        #expect(h.source == MACAddress("0a:0b:0c:0d:0e:0f"))
        #expect(h.isTagged && h.tagVID == 0xfff && h.tagPCP == 3)
        // QinQ outer ethertype 0x88a8 is not an 802.1Q tag for this switch.
        var q = f; q[12] = 0x88; q[13] = 0xa8
        let h2 = try q.withUnsafeBytes { try FrameHeader.parse($0).get() }
        #expect(!h2.isTagged && h2.tagVID == 0)
    }

    @Test func randomBytesNeverCrashAndAlwaysGetAReason() {
        let s = T.bridge([T.plain("p1"), T.access("a10", 10), T.access("a20", 20, isolated: true),
                          T.trunk("t", "10,20", native: 10), T.trunk("tt", "20-30", native: 30, mode: .tagged),
                          T.access("i10", 10, isolated: true)], size: 256)
        let names = s.config.ports.map(\.name)
        var rng = SplitMix64(seed: 0x7A9E_5717)
        let pool = (1...8).map { T.mac(UInt64($0)) }
        var counts: [String: Int] = [:]
        for i in 0..<200_000 {
            let len = Int(rng.next() % 101)
            var f = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Bias half the frames toward plausible headers so every path is exercised.
            if len >= 14 && rng.next() & 1 == 0 {
                let dst = rng.next() % 4 == 0 ? MACAddress.broadcast : pool[Int(rng.next() % 8)]
                f.replaceSubrange(0..<6, with: dst.octets)
                f.replaceSubrange(6..<12, with: pool[Int(rng.next() % 8)].octets)
                if rng.next() % 2 == 0 { f[12] = 0x81; f[13] = 0x00 }
                if len >= 16 && rng.next() % 2 == 0 { f[14] = UInt8(rng.next() % 2 == 0 ? 0x00 : 0xe0); f[15] = [0, 10, 20, 25, 30, 99][Int(rng.next() % 6)] }
            }
            let ingress = names[Int(rng.next() % UInt64(names.count))]
            if i % 1_000 == 0 { s.now += 1_000; s.engine.expire(now: s.now) }
            let before = s.drops[ingress] ?? [:]
            let out = s.inject(f, on: ingress)
            let after = s.drops[ingress] ?? [:]
            let dropped = after.values.reduce(0, +) - before.values.reduce(0, +)
            // Exactly one of: dropped (and counted once) or sent somewhere / flooded to nobody.
            #expect(dropped == 0 || dropped == 1)
            if dropped == 1 { #expect(out.isEmpty) }
            // Independent checks of the header rules.
            let tagged = len >= 14 && f[12] == 0x81 && f[13] == 0x00
            if len < 14 {
                #expect(after[.runt, default: 0] == before[.runt, default: 0] + 1)
            } else if tagged && len < 18 {
                #expect(after[.truncatedTag, default: 0] == before[.truncatedTag, default: 0] + 1)
            } else if f[6] & 1 == 1 || f[6..<12].allSatisfy({ $0 == 0 }) {
                #expect(after[.invalidSource, default: 0] == before[.invalidSource, default: 0] + 1)
            }
            for o in out {
                #expect(o.port != ingress)
                #expect(o.frame.prefix(12) == f.prefix(12))
                #expect([-4, 0, 4].contains(o.frame.count - f.count))
            }
            counts[out.isEmpty ? (dropped == 1 ? "drop" : "none") : (out.count == 1 ? "one" : "many"), default: 0] += 1
            if i % 997 == 0 { #expect(s.engine.table.learnedCount <= 256) }
        }
        // The loop did exercise every outcome.
        #expect(counts["drop", default: 0] > 1_000)
        #expect(counts["one", default: 0] > 1_000)
        #expect(counts["many", default: 0] > 1_000)
        #expect(s.engine.table.learnedCount <= 256)
    }
}
