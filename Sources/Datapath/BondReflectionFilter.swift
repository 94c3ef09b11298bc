import CTapestryShims
import Synchronization

/// The source MACs a balance-slb bond sent lately, so that the copies a plain peer switch floods
/// back on another member are recognised and dropped (Open vSwitch drops what it learned on
/// another port). 1024 slots indexed by a hash of the MAC, each holding the MAC and a coarse
/// timestamp in one atomic word: written by any sending thread, read by any receiving one.
final class BondReflectionFilter: @unchecked Sendable {
    static let slots = 1024
    /// A frame whose source left by the bond less than this many 512 ms ticks ago is a reflection.
    static let windowTicks: UInt64 = 4
    private let table: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        table = .allocate(capacity: BondReflectionFilter.slots)
        for i in 0..<BondReflectionFilter.slots { (table + i).initialize(to: Atomic(0)) }
    }

    deinit {
        table.deinitialize(count: BondReflectionFilter.slots)
        table.deallocate()
    }

    @inline(__always) static func tick() -> UInt64 { (UInt64(tp_monotonic_ms()) >> 9) & 0xFFFF }

    /// The source MAC of `frame` (Ethernet bytes 6-11), or nil when too short.
    @inline(__always) static func source(_ f: UnsafeRawBufferPointer) -> UInt64? {
        guard f.count >= 12 else { return nil }
        var mac: UInt64 = 0
        for i in 6..<12 { mac = mac << 8 | UInt64(f[i]) }
        return mac
    }

    @inline(__always) private static func slot(_ mac: UInt64) -> Int {
        Int(truncatingIfNeeded: (mac &* 0x9E37_79B9_7F4A_7C15) >> 54) & (slots - 1)
    }

    /// Notes that a frame from `mac` left by the bond now.
    @inline(__always) func sent(_ mac: UInt64, tick: UInt64) {
        let word = mac << 16 | tick
        let s = table + BondReflectionFilter.slot(mac)
        if s.pointee.load(ordering: .relaxed) != word { s.pointee.store(word, ordering: .relaxed) }
    }

    /// Whether a frame from `mac` arriving now is one of ours coming back.
    @inline(__always) func isReflection(_ mac: UInt64, tick: UInt64) -> Bool {
        let word = (table + BondReflectionFilter.slot(mac)).pointee.load(ordering: .relaxed)
        guard word >> 16 == mac, word != 0 else { return false }
        return (tick &- (word & 0xFFFF)) & 0xFFFF < BondReflectionFilter.windowTicks
    }
}
