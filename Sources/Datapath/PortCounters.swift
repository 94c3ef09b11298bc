import CTapestryShims
import SwitchCore

/// Counters of one port, written by the datapath thread only and read by the control path
/// (relaxed atomics: exact per counter, not a consistent snapshot across counters).
public final class PortCounters: @unchecked Sendable {
    enum Field: Int { case rxPackets = 0, rxBytes, txPackets, txBytes }
    static let dropBase = 4
    static let size = dropBase + DropReason.count

    private let storage: UnsafeMutablePointer<UInt64>

    public init() {
        storage = .allocate(capacity: PortCounters.size)
        storage.initialize(repeating: 0, count: PortCounters.size)
    }

    deinit { storage.deallocate() }

    @inline(__always) func received(bytes: Int) {
        tp_counter_add(storage + Field.rxPackets.rawValue, 1)
        tp_counter_add(storage + Field.rxBytes.rawValue, UInt64(bytes))
    }

    @inline(__always) func sent(bytes: Int) {
        tp_counter_add(storage + Field.txPackets.rawValue, 1)
        tp_counter_add(storage + Field.txBytes.rawValue, UInt64(bytes))
    }

    @inline(__always) func dropped(_ reason: DropReason) {
        tp_counter_add(storage + PortCounters.dropBase + Int(reason.rawValue), 1)
    }

    public var rxPackets: UInt64 { tp_counter_load(storage + Field.rxPackets.rawValue) }
    public var rxBytes: UInt64 { tp_counter_load(storage + Field.rxBytes.rawValue) }
    public var txPackets: UInt64 { tp_counter_load(storage + Field.txPackets.rawValue) }
    public var txBytes: UInt64 { tp_counter_load(storage + Field.txBytes.rawValue) }
    public func drops(_ reason: DropReason) -> UInt64 { tp_counter_load(storage + PortCounters.dropBase + Int(reason.rawValue)) }

    /// Non-zero drops by reason name.
    public var dropsByName: [String: UInt64] {
        var d: [String: UInt64] = [:]
        for r in DropReason.allCases where drops(r) > 0 { d[r.name] = drops(r) }
        return d
    }
}
