import CTapestryShims
import SwitchCore

/// Counters of one port: one lane per datapath thread, each written by its thread only, summed
/// when read by the control path (relaxed atomics: exact per counter, not a consistent snapshot
/// across counters).
public final class PortCounters: @unchecked Sendable {
    enum Field: Int { case rxPackets = 0, rxBytes, txPackets, txBytes, arpAnswered }
    static let dropBase = 5
    static let size = dropBase + DropReason.count
    /// Words per lane: lanes start on their own 128-byte blocks (CounterLaneStorage).
    static let stride = CounterLaneStorage.stride(words: size)

    public let lanes: Int
    private let storage: UnsafeMutablePointer<UInt64>

    /// `lanes`: how many threads write (the datapath's thread count).
    public init(lanes: Int = 1) {
        self.lanes = max(lanes, 1)
        storage = CounterLaneStorage.allocate(lanes: self.lanes, stride: PortCounters.stride)
    }

    deinit { CounterLaneStorage.deallocate(storage) }

    /// The lane of datapath thread `thread`. The daemon makes one lane per thread; a thread beyond
    /// the lane count would share a lane (modulo) and could lose counts, never memory.
    @inline(__always) public func lane(_ thread: Int) -> CounterLane {
        CounterLane(base: storage + (thread % lanes) * PortCounters.stride)
    }

    private func sum(_ index: Int) -> UInt64 {
        var total: UInt64 = 0
        for l in 0..<lanes { total &+= tp_counter_load(storage + l * PortCounters.stride + index) }
        return total
    }

    public var rxPackets: UInt64 { sum(Field.rxPackets.rawValue) }
    public var rxBytes: UInt64 { sum(Field.rxBytes.rawValue) }
    public var txPackets: UInt64 { sum(Field.txPackets.rawValue) }
    public var txBytes: UInt64 { sum(Field.txBytes.rawValue) }
    /// ARP requests and neighbour solicitations from this port the bridge answered itself (ARP suppression).
    public var arpAnswered: UInt64 { sum(Field.arpAnswered.rawValue) }
    public func drops(_ reason: DropReason) -> UInt64 { sum(PortCounters.dropBase + Int(reason.rawValue)) }

    /// Non-zero drops by reason name.
    public var dropsByName: [String: UInt64] {
        var d: [String: UInt64] = [:]
        for r in DropReason.allCases where drops(r) > 0 { d[r.name] = drops(r) }
        return d
    }
}

/// One thread's lane of a port's counters; only that thread writes through it.
public struct CounterLane {
    let base: UnsafeMutablePointer<UInt64>

    @inline(__always) public func received(bytes: Int) {
        tp_counter_add(base + PortCounters.Field.rxPackets.rawValue, 1)
        tp_counter_add(base + PortCounters.Field.rxBytes.rawValue, UInt64(bytes))
    }

    @inline(__always) public func sent(bytes: Int) {
        tp_counter_add(base + PortCounters.Field.txPackets.rawValue, 1)
        tp_counter_add(base + PortCounters.Field.txBytes.rawValue, UInt64(bytes))
    }

    /// This lane's frames and bytes sent so far (read by its own thread: what a batch added).
    @inline(__always) var sentPackets: UInt64 { tp_counter_load(base + PortCounters.Field.txPackets.rawValue) }
    @inline(__always) var sentBytes: UInt64 { tp_counter_load(base + PortCounters.Field.txBytes.rawValue) }

    @inline(__always) public func answeredARP() {
        tp_counter_add(base + PortCounters.Field.arpAnswered.rawValue, 1)
    }

    @inline(__always) public func dropped(_ reason: DropReason) {
        tp_counter_add(base + PortCounters.dropBase + Int(reason.rawValue), 1)
    }
}
