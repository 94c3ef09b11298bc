/// What a port may do beyond its VLANs: rate limits, port security, storm control and link
/// impairments (`tapestry set-port … --ingress-rate … --allowed-address … --storm-limit … --delay …`).
/// Every field is optional; a port with no policy costs the fast path nothing.
public struct PortPolicy: Codable, Sendable, Equatable {
    /// Policing of what the VM sends (bits/s, burst in bytes): over-rate frames are dropped.
    public var ingressRate: UInt64?
    public var ingressBurst: UInt64?
    /// Shaping of what the VM receives (bits/s; burst in bytes; peak bits/s): queued, then dropped.
    public var egressRate: UInt64?
    public var egressBurst: UInt64?
    public var egressPeak: UInt64?
    /// Whether the port may send DHCP server messages and router advertisements. nil: the default
    /// for its kind (system, vxlan, patch and internal ports are trusted; VM ports are not).
    public var trusted: Bool?
    /// Port security: the source MACs (and IPs) the VM may use; empty: any.
    public var allowedAddresses: [AllowedAddress] = []
    /// Most broadcast / multicast / unknown-unicast frames a second the port may send (nil: no limit).
    public var stormBroadcast: UInt64?
    public var stormMulticast: UInt64?
    public var stormUnknownUnicast: UInt64?
    /// Link impairments for labs.
    public var impairment: ImpairmentConfig?

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case ingressRate, ingressBurst, egressRate, egressBurst, egressPeak, trusted, allowedAddresses
        case stormBroadcast, stormMulticast, stormUnknownUnicast, impairment
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ingressRate = try c.decodeIfPresent(UInt64.self, forKey: .ingressRate)
        ingressBurst = try c.decodeIfPresent(UInt64.self, forKey: .ingressBurst)
        egressRate = try c.decodeIfPresent(UInt64.self, forKey: .egressRate)
        egressBurst = try c.decodeIfPresent(UInt64.self, forKey: .egressBurst)
        egressPeak = try c.decodeIfPresent(UInt64.self, forKey: .egressPeak)
        trusted = try c.decodeIfPresent(Bool.self, forKey: .trusted)
        allowedAddresses = try c.decodeIfPresent([AllowedAddress].self, forKey: .allowedAddresses) ?? []
        stormBroadcast = try c.decodeIfPresent(UInt64.self, forKey: .stormBroadcast)
        stormMulticast = try c.decodeIfPresent(UInt64.self, forKey: .stormMulticast)
        stormUnknownUnicast = try c.decodeIfPresent(UInt64.self, forKey: .stormUnknownUnicast)
        impairment = try c.decodeIfPresent(ImpairmentConfig.self, forKey: .impairment)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(ingressRate, forKey: .ingressRate)
        try c.encodeIfPresent(ingressBurst, forKey: .ingressBurst)
        try c.encodeIfPresent(egressRate, forKey: .egressRate)
        try c.encodeIfPresent(egressBurst, forKey: .egressBurst)
        try c.encodeIfPresent(egressPeak, forKey: .egressPeak)
        try c.encodeIfPresent(trusted, forKey: .trusted)
        if !allowedAddresses.isEmpty { try c.encode(allowedAddresses, forKey: .allowedAddresses) }
        try c.encodeIfPresent(stormBroadcast, forKey: .stormBroadcast)
        try c.encodeIfPresent(stormMulticast, forKey: .stormMulticast)
        try c.encodeIfPresent(stormUnknownUnicast, forKey: .stormUnknownUnicast)
        try c.encodeIfPresent(impairment, forKey: .impairment)
    }

    /// The default burst when a rate is set without one: 100 ms at the rate, at least 256 KiB (a few
    /// GSO super-frames), so that TCP through a policed port reaches the rate.
    public static func defaultBurst(forRate bits: UInt64) -> UInt64 { max(bits / 8 / 10, 262_144) }

    /// True when nothing is set.
    public var isEmpty: Bool { self == PortPolicy() }

    /// Checks ranges and combinations; names the port and the option.
    public func validate(port: String) throws(ModelError) {
        if ingressBurst != nil && ingressRate == nil { throw ModelError("port \(port): --ingress-burst needs --ingress-rate") }
        if (egressBurst != nil || egressPeak != nil) && egressRate == nil {
            throw ModelError("port \(port): --egress-burst and --egress-peak need --egress-rate")
        }
        if let egressPeak, let egressRate, egressPeak < egressRate {
            throw ModelError("port \(port): --egress-peak \(PolicyUnits.formatRate(egressPeak)) is below --egress-rate \(PolicyUnits.formatRate(egressRate))")
        }
        for (name, v) in [("broadcast", stormBroadcast), ("multicast", stormMulticast), ("unknown-unicast", stormUnknownUnicast)] {
            if let v, !(1...100_000_000).contains(v) { throw ModelError("port \(port): --storm-limit \(name)=\(v)pps out of range 1-100000000") }
        }
        try impairment?.validate(port: port)
    }
}

/// Delay, jitter, loss, duplication and a serialization rate on a port, in the manner of netem.
public struct ImpairmentConfig: Codable, Sendable, Equatable {
    /// Which frames are impaired: those the port sends toward its VM (`out`, the default), those it
    /// receives from it (`in`), or both.
    public enum Direction: String, Codable, Sendable, CaseIterable { case `in`, out, both }

    public var delayNanos: Int64?
    public var jitterNanos: Int64?
    /// Parts per million.
    public var lossPPM: UInt32?
    public var duplicatePPM: UInt32?
    /// Bits per second.
    public var rate: UInt64?
    public var direction: Direction?
    /// Seed for loss, duplication and jitter (same seed, same sequence).
    public var seed: UInt64?

    public init() {}

    public var isEmpty: Bool {
        delayNanos == nil && jitterNanos == nil && lossPPM == nil && duplicatePPM == nil && rate == nil
    }

    public func validate(port: String) throws(ModelError) {
        if let jitterNanos, jitterNanos > (delayNanos ?? 0) {
            throw ModelError("port \(port): --jitter \(PolicyUnits.formatDuration(jitterNanos)) is larger than --delay")
        }
    }
}
