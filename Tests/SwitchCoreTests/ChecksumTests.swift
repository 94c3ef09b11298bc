import SwitchCore
import TestSupport
import Testing

/// The shared Internet checksum (`SwitchCore.Checksum`): RFC 1071's example, known IPv4, UDP and
/// ICMPv6 checksums, every length and alignment against the independent `ReferenceChecksum`, and
/// the pseudo-headers of IPv4 and IPv6.
struct ChecksumTests {
    /// The folded sum of `bytes` starting `offset` bytes into a buffer (to test unaligned starts),
    /// as a big-endian number.
    static func sum(_ bytes: [UInt8], offset: Int = 0, initial: UInt64 = 0) -> UInt16 {
        let buffer = [UInt8](repeating: 0xA5, count: offset) + bytes
        let s = buffer.withUnsafeBytes { Checksum.fold(Checksum.add($0.baseAddress! + offset, bytes.count, to: initial)) }
        return UInt16(bigEndian: s)
    }

    /// `bytes` with the checksum of everything (after `pseudo`) stored at `field` by `Checksum.store`.
    static func stored(_ bytes: [UInt8], field: Int, pseudo: UInt64 = 0) -> [UInt8] {
        var b = bytes
        b.withUnsafeMutableBytes { p in Checksum.store(Checksum.add(p.baseAddress!, p.count, to: pseudo), at: p.baseAddress! + field) }
        return b
    }

    static func be16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }

    @Test func rfc1071ExampleSumsToDDF2() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (checksum 0x220d), in any byte order.
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        for offset in 0..<8 { #expect(Self.sum(bytes, offset: offset) == 0xDDF2, "offset \(offset)") }
        #expect(ReferenceChecksum.sum(bytes) == 0xDDF2)
        let withField = Self.stored(bytes + [0, 0], field: 8)
        #expect(Array(withField.suffix(2)) == [0x22, 0x0D])
        #expect(ReferenceChecksum.sum(withField) == 0xFFFF)
    }

    @Test func knownIPv4HeaderChecksum() {
        // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7: a UDP packet 192.168.0.1 → .199.
        var header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0,
                               0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        header = Self.stored(header, field: 10)
        #expect(Self.be16(header, 10) == 0xB861)
        #expect(Self.sum(header) == 0xFFFF, "a header with its checksum verifies")
        #expect(ReferenceChecksum.checksum(header.enumerated().map { $0.offset == 10 || $0.offset == 11 ? 0 : $0.element }) == 0xB861)
    }

    @Test func oddLengthsPadTheLastByteWithZero() {
        #expect(Self.sum([0x01]) == 0x0100)
        #expect(Self.sum([0x01, 0x02, 0x03]) == 0x0402)
        // 0xABCD + 0xEF01 = 0x1_9ACE: the carry goes around (0x9ACF), then + 0x2300.
        #expect(Self.sum([0xAB, 0xCD, 0xEF, 0x01, 0x23]) == 0xBDCF)
        #expect(Self.sum([]) == 0)
    }

    @Test func everyLengthAndAlignmentAgreesWithTheReference() {
        var rng = SplitMix64(seed: 1071)
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for offset in 0..<8 {
                #expect(Self.sum(bytes, offset: offset) == ReferenceChecksum.sum(bytes), "length \(length), offset \(offset)")
            }
        }
    }

    @Test func largeSumsFoldTheirCarries() {
        // 70,000 bytes of 0xFF: 35,000 words of 0xFFFF (ones' complement zero) carried many times over.
        let ones = [UInt8](repeating: 0xFF, count: 70_000)
        #expect(Self.sum(ones) == 0xFFFF)
        #expect(Self.sum(ones + [0x12]) == 0x1200, "and an odd last byte on top of them")
        #expect(Self.sum(ones + [0x12]) == ReferenceChecksum.sum(ones + [0x12]))
        // A running sum carried in from a pseudo-header is folded with the rest.
        #expect(Self.sum([0x80, 0x00], initial: Checksum.word(0x8000)) == 0x0001)
    }

    @Test func aChecksumOfZeroIsWrittenAsFFFF() {
        // 0xFFFF sums to 0xFFFF, whose complement 0 means "no checksum" in UDP: written as 0xFFFF.
        let b = Self.stored([0xFF, 0xFF, 0, 0], field: 2)
        #expect(Array(b.suffix(2)) == [0xFF, 0xFF])
        #expect(Checksum.finish(Checksum.word(0xFFFF)) == 0xFFFF)
        #expect(ReferenceChecksum.sum(b) == 0xFFFF, "and it still verifies")
    }

    @Test func udpOverIPv4WithItsPseudoHeader() {
        // 192.0.2.1:1234 → 198.51.100.2:5678, "tapestry!" (odd length): UDP checksum 0x0ce0.
        let payload = Array("tapestry!".utf8)
        let ipHeader: [UInt8] = [0x45, 0, 0, UInt8(20 + 8 + payload.count), 0, 0, 0x40, 0, 64, 17, 0, 0,
                                 192, 0, 2, 1, 198, 51, 100, 2]
        let udp: [UInt8] = [0x04, 0xD2, 0x16, 0x2E, 0, UInt8(8 + payload.count), 0, 0] + payload
        let pseudo = ipHeader.withUnsafeBytes { Checksum.pseudoHeaderIPv4($0.baseAddress!, protocol: 17, length: udp.count) }
        let reference = ReferenceChecksum.ipv4PseudoHeader(source: [192, 0, 2, 1], destination: [198, 51, 100, 2],
                                                           protocol: 17, length: udp.count)
        #expect(UInt16(bigEndian: Checksum.fold(pseudo)) == ReferenceChecksum.sum(reference))
        let done = Self.stored(udp, field: 6, pseudo: pseudo)
        #expect(Self.be16(done, 6) == 0x0CE0)
        #expect(ReferenceChecksum.sum(reference + done) == 0xFFFF)
        let viaEither = ipHeader.withUnsafeBytes { Checksum.pseudoHeader($0.baseAddress!, isIPv4: true, protocol: 17, length: udp.count) }
        #expect(viaEither == pseudo)
    }

    @Test func icmpv6OverIPv6WithItsPseudoHeader() {
        // fe80::1 → fe80::2, echo request id 0x1234 seq 1 "abc" (11 bytes): checksum 0xac1d.
        let src: [UInt8] = [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
        let dst: [UInt8] = [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [2]
        let icmp: [UInt8] = [128, 0, 0, 0, 0x12, 0x34, 0, 1] + Array("abc".utf8)
        let ipHeader: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 64] + src + dst
        let pseudo = ipHeader.withUnsafeBytes { Checksum.pseudoHeaderIPv6($0.baseAddress!, nextHeader: 58, length: icmp.count) }
        let reference = ReferenceChecksum.ipv6PseudoHeader(source: src, destination: dst, nextHeader: 58, length: icmp.count)
        #expect(UInt16(bigEndian: Checksum.fold(pseudo)) == ReferenceChecksum.sum(reference))
        let done = Self.stored(icmp, field: 2, pseudo: pseudo)
        #expect(Self.be16(done, 2) == 0xAC1D)
        #expect(ReferenceChecksum.sum(reference + done) == 0xFFFF)
        let viaEither = ipHeader.withUnsafeBytes { Checksum.pseudoHeader($0.baseAddress!, isIPv4: false, protocol: 58, length: icmp.count) }
        #expect(viaEither == pseudo)
    }

    @Test func theIPv6PseudoHeaderCarriesA32BitLength() {
        // RFC 8200 §8.1: the upper-layer length is 32 bits (a jumbogram's is above 65535).
        var rng = SplitMix64(seed: 8200)
        for length in [0, 1, 65_535, 65_536, 70_000, 1 << 20 | 7] {
            let src = (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let dst = (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ipHeader: [UInt8] = [0x60, 0, 0, 0, 0, 0, 6, 64] + src + dst
            let pseudo = ipHeader.withUnsafeBytes { Checksum.pseudoHeaderIPv6($0.baseAddress!, nextHeader: 6, length: length) }
            let reference = ReferenceChecksum.ipv6PseudoHeader(source: src, destination: dst, nextHeader: 6, length: length)
            #expect(UInt16(bigEndian: Checksum.fold(pseudo)) == ReferenceChecksum.sum(reference), "length \(length)")
        }
    }
}
