/// Link impairments for labs (`--delay 20ms --jitter 5ms --loss 1% --duplicate 0.1% --rate 10mbit`),
/// in the manner of netem, which this kernel lacks: decides per frame whether it is lost,
/// duplicated, and when it leaves. Frames keep their order (a frame never leaves before the one
/// sent before it), as netem does with a rate set.
public struct Impairment: Sendable, Equatable {
    /// The settings; all zero means "no impairment".
    public struct Settings: Sendable, Equatable {
        public var delayNanos: Int64
        public var jitterNanos: Int64
        /// Loss and duplication probabilities in parts per million.
        public var lossPPM: UInt32
        public var duplicatePPM: UInt32
        /// Serialization rate in bits per second (0: unlimited).
        public var rateBitsPerSecond: UInt64
        public var seed: UInt64

        public init(delayNanos: Int64 = 0, jitterNanos: Int64 = 0, lossPPM: UInt32 = 0, duplicatePPM: UInt32 = 0,
                    rateBitsPerSecond: UInt64 = 0, seed: UInt64 = 1) {
            self.delayNanos = delayNanos; self.jitterNanos = jitterNanos; self.lossPPM = lossPPM
            self.duplicatePPM = duplicatePPM; self.rateBitsPerSecond = rateBitsPerSecond; self.seed = seed
        }

        public var isInactive: Bool {
            delayNanos == 0 && jitterNanos == 0 && lossPPM == 0 && duplicatePPM == 0 && rateBitsPerSecond == 0
        }
    }

    /// What happens to one frame.
    public struct Verdict: Sendable, Equatable {
        /// The frame is lost (nothing is sent).
        public var lost: Bool
        /// How many copies leave (1, or 2 when duplicated).
        public var copies: Int
        /// When the (first) copy leaves, in ns on the caller's clock.
        public var releaseAt: Int64
    }

    public let settings: Settings
    private var random: SeededRandom
    private var lastRelease: Int64 = .min
    private var linkFreeAt: Int64 = .min

    public init(_ settings: Settings) {
        self.settings = settings
        random = SeededRandom(seed: settings.seed)
    }

    /// Decides the fate of a frame of `length` bytes handed over at `now` (ns).
    public mutating func plan(length: Int, now: Int64) -> Verdict {
        if random.chance(ppm: settings.lossPPM) { return Verdict(lost: true, copies: 0, releaseAt: now) }
        let copies = random.chance(ppm: settings.duplicatePPM) ? 2 : 1
        var departure = now
        if settings.rateBitsPerSecond > 0 {
            // Serialization: the link is busy for length*8/rate seconds per copy.
            let start = max(now, linkFreeAt)
            let busy = Int64(UInt64(length * 8 * copies) * 1_000_000_000 / settings.rateBitsPerSecond)
            linkFreeAt = start + busy
            departure = start + busy
        }
        var delay = settings.delayNanos
        if settings.jitterNanos > 0 {
            let span = UInt64(settings.jitterNanos) * 2 + 1
            delay += Int64(random.next() % span) - settings.jitterNanos
        }
        let release = max(departure + max(delay, 0), lastRelease)
        lastRelease = release
        return Verdict(lost: false, copies: copies, releaseAt: release)
    }
}
