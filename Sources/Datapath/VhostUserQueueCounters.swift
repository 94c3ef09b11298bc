import CTapestryShims

/// Packets and bytes per queue pair of one vhost-user port: rx (from the guest's transmit queue of
/// the pair) and tx (into its receive queue). Kept like `PortCounters`: one lane per datapath
/// thread, written by that thread only (once per batch, not per frame), summed when read.
public final class VhostUserQueueCounters: @unchecked Sendable {
    enum Field: Int { case rxPackets = 0, rxBytes, txPackets, txBytes }
    static let fields = 4

    /// How many datapath threads write.
    public let lanes: Int
    /// Queue pairs counted (pair p: the guest's vrings 2p and 2p + 1).
    public let queuePairs: Int
    /// Words per lane; lanes start on their own 128-byte blocks (CounterLaneStorage).
    let stride: Int
    private let storage: UnsafeMutablePointer<UInt64>

    public init(lanes: Int, queuePairs: Int) {
        self.lanes = max(lanes, 1)
        self.queuePairs = max(queuePairs, 1)
        stride = CounterLaneStorage.stride(words: self.queuePairs * VhostUserQueueCounters.fields)
        storage = CounterLaneStorage.allocate(lanes: self.lanes, stride: stride)
    }

    deinit { CounterLaneStorage.deallocate(storage) }

    /// The lane of datapath thread `thread` (modulo the lane count, as `PortCounters.lane`).
    @inline(__always) public func lane(_ thread: Int) -> VhostUserQueueLane {
        VhostUserQueueLane(base: storage + (thread % lanes) * stride, queuePairs: queuePairs)
    }

    /// Every pair's totals, summed over the lanes (pair order).
    public var pairs: [VhostUserQueueTotals] {
        (0..<queuePairs).map { p in
            func sum(_ f: Field) -> UInt64 {
                var t: UInt64 = 0
                for l in 0..<lanes { t &+= tp_counter_load(storage + l * stride + p * VhostUserQueueCounters.fields + f.rawValue) }
                return t
            }
            return VhostUserQueueTotals(pair: p, rxPackets: sum(.rxPackets), rxBytes: sum(.rxBytes),
                                        txPackets: sum(.txPackets), txBytes: sum(.txBytes))
        }
    }
}

/// One thread's lane of a port's per-queue counters; only that thread writes through it.
public struct VhostUserQueueLane {
    let base: UnsafeMutablePointer<UInt64>
    let queuePairs: Int

    /// `packets` frames of `bytes` taken from the guest's transmit queue of `pair` (a pair outside
    /// the counted range is not counted).
    @inline(__always) public func received(pair: Int, packets: Int, bytes: Int) {
        add(pair, .rxPackets, packets, bytes)
    }

    /// `packets` frames of `bytes` given to the guest's receive queue of `pair`.
    @inline(__always) public func sent(pair: Int, packets: Int, bytes: Int) {
        add(pair, .txPackets, packets, bytes)
    }

    @inline(__always) private func add(_ pair: Int, _ first: VhostUserQueueCounters.Field, _ packets: Int, _ bytes: Int) {
        guard pair >= 0, pair < queuePairs, packets > 0 else { return }
        let p = base + pair * VhostUserQueueCounters.fields + first.rawValue
        tp_counter_add(p, UInt64(packets))
        tp_counter_add(p + 1, UInt64(max(bytes, 0)))
    }
}

/// One queue pair's totals.
public struct VhostUserQueueTotals: Sendable, Equatable {
    public let pair: Int
    public let rxPackets: UInt64
    public let rxBytes: UInt64
    public let txPackets: UInt64
    public let txBytes: UInt64
}
