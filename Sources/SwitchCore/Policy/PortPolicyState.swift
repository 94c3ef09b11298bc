import Synchronization
import TapestryModel

/// The live policy of one port, shared by every datapath thread: the address guard (read-only),
/// and the buckets, shaper and impairment generators (behind one lock, taken only by ports that
/// have such a policy). Built from the port's `PortPolicy` when a snapshot is published; a port
/// without policy has no state at all, so the fast path pays one nil check.
public final class PortPolicyState: Sendable {
    /// Port security; checked without a lock.
    public let addressGuard: AddressGuard
    /// Whether frames from the VM go through `planIngress` (an ingress rate or an in/both impairment).
    /// Whether frames sent toward the VM are shaped or impaired.
    public let hasEgress: Bool
    public let hasIngressPlan: Bool
    public let hasStormControl: Bool

    private struct Meters: Sendable {
        /// The ingress rate: a policer with a short queue (frames over the rate wait up to a burst's
        /// worth, then are dropped), so that TCP from a policed VM still reaches the rate.
        var ingressLimiter: EgressShaper?
        var storm: StormControl
        var shaper: EgressShaper?
        var ingressImpairment: Impairment?
        var egressImpairment: Impairment?
    }
    private let meters: Mutex<Meters>

    /// The state for `policy` on a port that is `trustedByDefault` (uplinks, internal ports) or not.
    /// nil when the port needs no checks at all.
    public static func make(_ policy: PortPolicy?, trustedByDefault: Bool, now: Int64) -> PortPolicyState? {
        let p = policy ?? PortPolicy()
        let trusted = p.trusted ?? trustedByDefault
        if p.isEmpty || (p.ingressRate == nil && p.egressRate == nil && p.stormBroadcast == nil
                         && p.stormMulticast == nil && p.stormUnknownUnicast == nil
                         && (p.impairment?.isEmpty ?? true) && p.allowedAddresses.isEmpty) {
            if trusted { return nil }
        }
        return PortPolicyState(p, trusted: trusted, now: now)
    }

    private init(_ p: PortPolicy, trusted: Bool, now: Int64) {
        addressGuard = AddressGuard(entries: p.allowedAddresses.map { a in
            AddressGuard.Entry(mac: a.mac.rawValue,
                               ipv4: a.addresses.compactMap { $0.family == .ipv4 ? UInt32(truncatingIfNeeded: $0.low) : nil },
                               ipv6: a.addresses.compactMap { $0.family == .ipv6 ? IPv6Bits(high: $0.high, low: $0.low) : nil })
        }, trusted: trusted)
        var m = Meters(storm: StormControl(broadcast: p.stormBroadcast, multicast: p.stormMulticast,
                                           unknownUnicast: p.stormUnknownUnicast, now: now))
        if let rate = p.ingressRate {
            let burst = p.ingressBurst ?? PortPolicy.defaultBurst(forRate: rate)
            m.ingressLimiter = EgressShaper(rate: rate, burst: burst, queueLimit: burst)
        }
        if let rate = p.egressRate {
            m.shaper = EgressShaper(rate: rate, burst: p.egressBurst ?? PortPolicy.defaultBurst(forRate: rate), peak: p.egressPeak ?? 0)
        }
        if let i = p.impairment, !i.isEmpty {
            let settings = Impairment.Settings(delayNanos: i.delayNanos ?? 0, jitterNanos: i.jitterNanos ?? 0,
                                               lossPPM: i.lossPPM ?? 0, duplicatePPM: i.duplicatePPM ?? 0,
                                               rateBitsPerSecond: i.rate ?? 0, seed: i.seed ?? 1)
            let direction = i.direction ?? .out
            if direction != .in { m.egressImpairment = Impairment(settings) }
            if direction != .out {
                var s = settings
                s.seed = settings.seed &+ 0x5EED
                m.ingressImpairment = Impairment(s)
            }
        }
        hasStormControl = !m.storm.isInactive
        hasIngressPlan = m.ingressLimiter != nil || m.ingressImpairment != nil
        hasEgress = m.shaper != nil || m.egressImpairment != nil
        meters = Mutex(m)
    }

    /// Checks a frame the port's VM sent (`frame` from its Ethernet header, `source` its source MAC)
    /// against port security. nil: admitted. (Rates are `planIngress`'s, in the datapath.)
    @inline(__always)
    public func admit(_ frame: UnsafeRawBufferPointer, source: UInt64) -> DropReason? {
        if addressGuard.isInactive { return nil }
        // The guard of a port with no allowed addresses only looks for DHCP servers and RAs.
        if addressGuard.entries.isEmpty && !FramePayload.mayBeServerMessage(frame) { return nil }
        return addressGuard.check(source: source, payload: FramePayload.read(frame))
    }

    /// Storm control for a frame the bridge is about to flood (after the destination lookup).
    @inline(__always)
    public func admitFlood(_ c: StormControl.Class, now: Int64) -> Bool {
        guard hasStormControl else { return true }
        return meters.withLock { $0.storm.admit(c, now: now) }
    }

    /// What happens to a frame the VM sent, after the decision: the ingress rate (`.policed` when
    /// its queue is full), then an in/both impairment (`.impairmentLoss`): when and how often it
    /// goes on into the bridge.
    public func planIngress(length: Int, now: Int64) -> EgressPlan {
        guard hasIngressPlan else { return EgressPlan(drop: nil, copies: 1, releaseAt: now) }
        return meters.withLock { m in
            PortPolicyState.plan(length: length, now: now, limiter: &m.ingressLimiter, overLimit: .policed,
                                 impairment: &m.ingressImpairment)
        }
    }

    /// What happens to a frame sent toward the VM: shaped, then impaired; `drop` says why it does
    /// not leave (`.shaperQueueFull`, `.impairmentLoss`).
    public func planEgress(length: Int, now: Int64) -> EgressPlan {
        guard hasEgress else { return EgressPlan(drop: nil, copies: 1, releaseAt: now) }
        return meters.withLock { m in
            PortPolicyState.plan(length: length, now: now, limiter: &m.shaper, overLimit: .shaperQueueFull,
                                 impairment: &m.egressImpairment)
        }
    }

    /// One direction's plan: the rate (`overLimit` when its queue is full), then the impairment.
    private static func plan(length: Int, now: Int64, limiter: inout EgressShaper?, overLimit: DropReason,
                             impairment: inout Impairment?) -> EgressPlan {
        var release = now
        if limiter != nil {
            guard let r = limiter?.schedule(length: length, now: now) else {
                return EgressPlan(drop: overLimit, copies: 0, releaseAt: now)
            }
            release = r
        }
        var copies = 1
        if let v = impairment?.plan(length: length, now: release) {
            if v.lost { return EgressPlan(drop: .impairmentLoss, copies: 0, releaseAt: now) }
            copies = v.copies
            release = v.releaseAt
        }
        return EgressPlan(drop: nil, copies: copies, releaseAt: release)
    }
}

extension PortType {
    /// Whether a port of this kind may send DHCP server messages and router advertisements unless
    /// told otherwise: uplinks and host ports yes, VM ports (taps) no.
    public var isTrustedByDefault: Bool { self != .tap }
}

/// When and how often a frame leaves toward a VM, or why it does not.
public struct EgressPlan: Sendable, Equatable {
    public var drop: DropReason?
    public var copies: Int
    /// Monotonic ns; equal to `now` when the frame may leave at once.
    public var releaseAt: Int64
}
