/// The Internet checksum (RFC 1071), summed over native-order words: the folded result, stored
/// back natively, lands in memory in network byte order.
enum Checksum {
    /// Adds `count` bytes at `p` to the running sum.
    @inline(__always)
    static func add(_ p: UnsafeRawPointer, _ count: Int, to initial: UInt64 = 0) -> UInt64 {
        var sum = initial
        var i = 0
        while i + 8 <= count {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            sum &+= w & 0xFFFF_FFFF
            sum &+= w >> 32
            i += 8
        }
        if i + 4 <= count { sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self)); i += 4 }
        if i + 2 <= count { sum &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self)); i += 2 }
        if i < count {
            // A trailing odd byte is the high byte of a big-endian word: the low byte in memory order.
            sum &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self))
        }
        return sum
    }

    /// Folds a sum to 16 bits (not complemented).
    @inline(__always)
    static func fold(_ s: UInt64) -> UInt16 {
        var sum = s
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return UInt16(sum)
    }

    /// A 16-bit value as it is summed when it sits in memory in network order.
    @inline(__always)
    static func word(_ v: UInt16) -> UInt64 { UInt64(v.bigEndian) }

    /// Stores the final checksum (complement of the folded sum) at `p`.
    @inline(__always)
    static func store(_ sum: UInt64, at p: UnsafeMutableRawPointer) {
        var c = ~fold(sum)
        if c == 0 { c = 0xFFFF }
        p.storeBytes(of: c, as: UInt16.self)
    }
}
