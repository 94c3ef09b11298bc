/// Shapes what a port sends toward its VM (`--egress-rate 50mbit --egress-burst 128k
/// --egress-peak 100mbit`): a frame leaves at once while the burst allows, later when it does
/// not, and is dropped when the queue ahead of it would hold more than `queueLimit` bytes.
///
/// The generic cell rate algorithm (a virtual-scheduling token bucket): `theoretical` is when the
/// bucket would be empty again; a frame may leave `burst` bytes' worth of time before that.
public struct EgressShaper: Sendable, Equatable {
    public let rateBytesPerSecond: UInt64
    public let burstBytes: UInt64
    public let peakBytesPerSecond: UInt64
    public let queueLimitBytes: UInt64
    /// Bounds burst and queue so that their times in ns fit an Int64.
    static let maxBytes: UInt64 = 1 << 32
    private var theoretical: Int64 = .min
    private var peakTheoretical: Int64 = .min

    /// `rate`/`peak` in bits per second (peak 0: none); burst and queue limit in bytes.
    public init(rate: UInt64, burst: UInt64, peak: UInt64 = 0, queueLimit: UInt64? = nil) {
        rateBytesPerSecond = max(rate / 8, 1)
        burstBytes = min(max(burst, 1), EgressShaper.maxBytes)
        peakBytesPerSecond = peak / 8
        // Default queue: half a second at the rate, at least 256 KiB (a few GSO frames).
        queueLimitBytes = min(queueLimit ?? max(rateBytesPerSecond / 2, 256 * 1024), EgressShaper.maxBytes)
    }

    /// When a frame of `length` bytes offered at `now` may leave, or nil when the queue is full.
    public mutating func schedule(length: Int, now: Int64) -> Int64? {
        let bytes = UInt64(max(length, 1))
        let cost = Int64(bytes) * 1_000_000_000 / Int64(rateBytesPerSecond)
        let tolerance = Int64(burstBytes) * 1_000_000_000 / Int64(rateBytesPerSecond)
        let tat = max(theoretical, now)
        var release = max(now, tat - tolerance)
        if peakBytesPerSecond > 0 { release = max(release, peakTheoretical) }
        let backlog = release - now
        if backlog > Int64(queueLimitBytes) * 1_000_000_000 / Int64(rateBytesPerSecond) { return nil }
        theoretical = max(tat, release) + cost
        if peakBytesPerSecond > 0 {
            peakTheoretical = release + Int64(bytes) * 1_000_000_000 / Int64(peakBytesPerSecond)
        }
        return release
    }
}
