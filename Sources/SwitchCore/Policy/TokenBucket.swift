/// A token bucket: `rate` tokens a second up to `burst` tokens, taken by frames as they pass.
///
/// Tokens are bytes for rate limits and frames for storm control. Time is in nanoseconds from any
/// fixed origin (the datapath's monotonic clock); the bucket starts full. Pure and cheap: one
/// multiply and one divide per call, no floating point.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    public let rate: UInt64
    /// The most tokens the bucket holds.
    public let burst: UInt64
    /// Tokens held, in units of 1/1e9 token (so that a nanosecond of refill is never rounded away).
    private var nanoTokens: UInt64
    private var lastRefill: Int64

    public init(rate: UInt64, burst: UInt64, now: Int64 = 0) {
        self.rate = rate
        self.burst = max(burst, 1)
        self.nanoTokens = TokenBucket.nano(self.burst)
        self.lastRefill = now
    }

    @inline(__always)
    private static func nano(_ tokens: UInt64) -> UInt64 {
        let (v, o) = tokens.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? .max : v
    }

    private var capacity: UInt64 { TokenBucket.nano(burst) }

    @inline(__always)
    private mutating func refill(now: Int64) {
        guard now > lastRefill else { return }
        let elapsed = UInt64(now - lastRefill)
        lastRefill = now
        let (add, o) = elapsed.multipliedReportingOverflow(by: rate)
        let (sum, o2) = nanoTokens.addingReportingOverflow(add)
        nanoTokens = (o || o2) ? capacity : min(sum, capacity)
    }

    /// Takes `count` tokens when the bucket holds them (true), else takes nothing (false).
    @inline(__always)
    public mutating func take(_ count: Int, now: Int64) -> Bool {
        refill(now: now)
        let (need, o) = UInt64(max(count, 0)).multipliedReportingOverflow(by: 1_000_000_000)
        guard !o, need <= nanoTokens else { return false }
        nanoTokens -= need
        return true
    }

    /// Tokens available now (whole tokens).
    public mutating func available(now: Int64) -> UInt64 {
        refill(now: now)
        return nanoTokens / 1_000_000_000
    }
}
