/// The Internet checksum (RFC 1071), the one implementation for every header Tapestry writes or
/// checks (IPv4 headers, TCP, UDP, ICMPv6), on the per-frame paths of SwitchCore and Datapath.
///
/// Sums are taken over native-order words, as RFC 1071 §2(B) allows (the sum is byte-order
/// independent): a folded result stored back natively lands in memory in network byte order. A
/// running sum is a `UInt64` that does not overflow for any frame size (it is folded at the end).
public enum Checksum {
    /// Adds `count` bytes at `p` (any alignment, any length) to the running sum.
    @inlinable @inline(__always)
    public static func add(_ p: UnsafeRawPointer, _ count: Int, to initial: UInt64 = 0) -> UInt64 {
        // 32 bytes a step: the 32-bit halves of 64-bit words summed in four pairs of vector lanes
        // (SSE2), independent of each other; no lane overflows below 2^32 steps. About four times
        // the speed of one scalar word a step, which matters for the tunnels' segmentation and
        // coalescing (every payload byte is summed once on each side).
        let mask = SIMD2<UInt64>(repeating: 0xFFFF_FFFF)
        var v0 = SIMD2<UInt64>(initial, 0), v1 = SIMD2<UInt64>(), v2 = SIMD2<UInt64>(), v3 = SIMD2<UInt64>()
        var i = 0
        while i &+ 32 <= count {
            let w0 = p.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self)
            let w1 = p.loadUnaligned(fromByteOffset: i &+ 16, as: SIMD2<UInt64>.self)
            v0 &+= w0 & mask; v1 &+= w0 &>> 32
            v2 &+= w1 & mask; v3 &+= w1 &>> 32
            i &+= 32
        }
        let v = v0 &+ v1 &+ v2 &+ v3
        var sum = v[0] &+ v[1]
        while i &+ 8 <= count {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            sum &+= (w & 0xFFFF_FFFF) &+ (w >> 32)
            i &+= 8
        }
        if i &+ 4 <= count { sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self)); i &+= 4 }
        if i &+ 2 <= count { sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self)); i &+= 2 }
        if i < count {
            // A trailing odd byte is the high byte of a big-endian word padded with zero: the low
            // byte in memory order.
            sum &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self))
        }
        return sum
    }

    /// Folds a sum to 16 bits (not complemented), in native order: 0xFFFF when a complete
    /// checksum verifies.
    @inlinable @inline(__always)
    public static func fold(_ s: UInt64) -> UInt16 {
        var sum = s
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return UInt16(sum)
    }

    /// A 16-bit value as it is summed when it sits in memory in network order.
    @inlinable @inline(__always)
    public static func word(_ v: UInt16) -> UInt64 { UInt64(v.bigEndian) }

    /// The IPv4 pseudo-header (RFC 793 §3.1, RFC 768) of the IPv4 header at `ip`: its source and
    /// destination, zero, `proto` and the upper-layer `length` (16 bits).
    @inlinable @inline(__always)
    public static func pseudoHeaderIPv4(_ ip: UnsafeRawPointer, protocol proto: UInt8, length: Int) -> UInt64 {
        add(ip + 12, 8) &+ word(UInt16(proto)) &+ word(UInt16(truncatingIfNeeded: length))
    }

    /// The IPv6 pseudo-header (RFC 8200 §8.1) of the IPv6 header at `ip`: its source and
    /// destination, the 32-bit upper-layer `length`, three zero bytes and `nextHeader`.
    @inlinable @inline(__always)
    public static func pseudoHeaderIPv6(_ ip: UnsafeRawPointer, nextHeader: UInt8, length: Int) -> UInt64 {
        add(ip + 8, 32) &+ word(UInt16(nextHeader))
            &+ word(UInt16(truncatingIfNeeded: length >> 16)) &+ word(UInt16(truncatingIfNeeded: length))
    }

    /// The pseudo-header of the IPv4 (`isIPv4`) or IPv6 header at `ip`.
    @inlinable @inline(__always)
    public static func pseudoHeader(_ ip: UnsafeRawPointer, isIPv4: Bool, protocol proto: UInt8, length: Int) -> UInt64 {
        isIPv4 ? pseudoHeaderIPv4(ip, protocol: proto, length: length) : pseudoHeaderIPv6(ip, nextHeader: proto, length: length)
    }

    /// The checksum field's value for `sum` (taken with the field zero): the complement of the
    /// folded sum, with 0 written as 0xFFFF — UDP's rule (RFC 768: 0 means "no checksum"); for
    /// every other user the two are the same number in ones' complement and both verify.
    @inlinable @inline(__always)
    public static func finish(_ sum: UInt64) -> UInt16 {
        let c = ~fold(sum)
        return c == 0 ? 0xFFFF : c
    }

    /// Stores `finish(sum)` at `p` (two bytes, any alignment), in network order.
    @inlinable @inline(__always)
    public static func store(_ sum: UInt64, at p: UnsafeMutableRawPointer) {
        p.storeBytes(of: finish(sum), as: UInt16.self)
    }
}
