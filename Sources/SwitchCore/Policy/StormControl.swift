/// Storm control for one port: the most broadcast, multicast and unknown-unicast frames a
/// second it may send into the bridge (`--storm-limit broadcast=1000pps,…`); frames over a
/// limit are dropped as `storm`.
public struct StormControl: Sendable, Equatable {
    /// The kind of flooded traffic a limit applies to.
    public enum Class: Int, Sendable, CaseIterable { case broadcast, multicast, unknownUnicast }

    private var buckets: [TokenBucket?]

    /// `limits[c]` frames a second for class `c` (nil: no limit); the burst is a tenth of a second's worth (at least 1).
    public init(broadcast: UInt64? = nil, multicast: UInt64? = nil, unknownUnicast: UInt64? = nil, now: Int64 = 0) {
        buckets = [broadcast, multicast, unknownUnicast].map { rate in
            rate.map { TokenBucket(rate: $0, burst: max($0 / 10, 1), now: now) }
        }
    }

    public var isInactive: Bool { buckets.allSatisfy { $0 == nil } }

    /// Admits one frame of class `c` at `now` (ns) or says it is over the limit.
    @inline(__always)
    public mutating func admit(_ c: Class, now: Int64) -> Bool {
        guard var bucket = buckets[c.rawValue] else { return true }
        let ok = bucket.take(1, now: now)
        buckets[c.rawValue] = bucket
        return ok
    }
}
