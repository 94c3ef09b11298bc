/// The Internet checksum (RFC 1071) for tests, written independently of `SwitchCore.Checksum`:
/// big-endian 16-bit words over byte arrays, one byte at a time, the pseudo-headers built as
/// bytes. Tests check what Tapestry writes against it (and the shared checksum's unit tests check
/// that implementation against this one).
public enum ReferenceChecksum {
    /// The ones' complement sum of `bytes` folded to 16 bits (not complemented): big-endian words,
    /// an odd last byte padded with a zero. 0xFFFF when `bytes` hold a checksum that verifies.
    public static func sum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i < bytes.count {
            sum += UInt32(bytes[i]) << 8 | (i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0)
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
            i += 2
        }
        return UInt16(sum)
    }

    /// The value of a checksum field over `bytes` (taken with the field zero): the complement of
    /// `sum(bytes)`, big-endian.
    public static func checksum(_ bytes: [UInt8]) -> UInt16 { ~sum(bytes) }

    /// The IPv4 pseudo-header (RFC 793 §3.1, RFC 768): source, destination, zero, protocol, length.
    public static func ipv4PseudoHeader(source: [UInt8], destination: [UInt8], protocol proto: UInt8, length: Int) -> [UInt8] {
        precondition(source.count == 4 && destination.count == 4, "IPv4 addresses are 4 bytes")
        return source + destination + [0, proto, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    /// The IPv6 pseudo-header (RFC 8200 §8.1): source, destination, the 32-bit upper-layer length,
    /// three zero bytes, next header.
    public static func ipv6PseudoHeader(source: [UInt8], destination: [UInt8], nextHeader: UInt8, length: Int) -> [UInt8] {
        precondition(source.count == 16 && destination.count == 16, "IPv6 addresses are 16 bytes")
        let l = UInt32(truncatingIfNeeded: length)
        return source + destination + [UInt8(l >> 24), UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF), 0, 0, 0, nextHeader]
    }
}
