/// A change to a port's policy from `set-port`/`add-port`: the fields to set, and the groups to
/// clear (`--no-ingress-rate`, …). Clearing happens first, then setting, so
/// `--no-allowed-address --allowed-address X` replaces the list.
public struct PortPolicyEdit: Codable, Sendable, Equatable {
    /// What `--no-…` options clear.
    public enum Clear: String, Codable, Sendable, CaseIterable {
        case ingressRate = "ingress-rate", egressRate = "egress-rate", allowedAddress = "allowed-address"
        case trusted, stormLimit = "storm-limit", delay, jitter, loss, duplicate, rate, impairment
    }

    /// Fields given: each replaces the port's (allowed addresses replace the whole list).
    public var values: PortPolicy
    public var clear: [Clear]

    public init(values: PortPolicy = PortPolicy(), clear: [Clear] = []) { self.values = values; self.clear = clear }

    public var isEmpty: Bool { values.isEmpty && clear.isEmpty }

    /// The port's policy after this edit (nil when nothing is left).
    public func applied(to old: PortPolicy?) -> PortPolicy? {
        var p = old ?? PortPolicy()
        var i = p.impairment ?? ImpairmentConfig()
        for c in clear {
            switch c {
            case .ingressRate: p.ingressRate = nil; p.ingressBurst = nil
            case .egressRate: p.egressRate = nil; p.egressBurst = nil; p.egressPeak = nil
            case .allowedAddress: p.allowedAddresses = []
            case .trusted: p.trusted = nil
            case .stormLimit: p.stormBroadcast = nil; p.stormMulticast = nil; p.stormUnknownUnicast = nil
            case .delay: i.delayNanos = nil; i.jitterNanos = nil
            case .jitter: i.jitterNanos = nil
            case .loss: i.lossPPM = nil
            case .duplicate: i.duplicatePPM = nil
            case .rate: i.rate = nil
            case .impairment: i = ImpairmentConfig()
            }
        }
        let s = values
        if let v = s.ingressRate { p.ingressRate = v; p.ingressBurst = nil }
        if let v = s.ingressBurst { p.ingressBurst = v }
        if let v = s.egressRate { p.egressRate = v; p.egressBurst = nil; p.egressPeak = nil }
        if let v = s.egressBurst { p.egressBurst = v }
        if let v = s.egressPeak { p.egressPeak = v }
        if let v = s.trusted { p.trusted = v }
        if !s.allowedAddresses.isEmpty { p.allowedAddresses = s.allowedAddresses }
        if s.stormBroadcast != nil || s.stormMulticast != nil || s.stormUnknownUnicast != nil {
            p.stormBroadcast = s.stormBroadcast; p.stormMulticast = s.stormMulticast; p.stormUnknownUnicast = s.stormUnknownUnicast
        }
        if let si = s.impairment {
            if let v = si.delayNanos { i.delayNanos = v }
            if let v = si.jitterNanos { i.jitterNanos = v }
            if let v = si.lossPPM { i.lossPPM = v }
            if let v = si.duplicatePPM { i.duplicatePPM = v }
            if let v = si.rate { i.rate = v }
            if let v = si.direction { i.direction = v }
            if let v = si.seed { i.seed = v }
        }
        p.impairment = i.isEmpty ? nil : i
        return p.isEmpty ? nil : p
    }
}
