import TapestryModel

/// Open vSwitch's rate columns as Tapestry's port policy (enforced by the datapath):
/// `ingress_policing_rate` (kbit/s) and `ingress_policing_burst` (kbit) police what the VM sends
/// (`PortPolicy.ingressRate`/`ingressBurst`); a `linux-htb` QoS row's `max-rate` (bit/s) and
/// `burst` (bits), or those of its queue 0, shape what the VM receives (`egressRate`/`egressBurst`).
/// A column cleared in OVS clears the policy it had set; rates set with `tapestry set-port` stay
/// while no OVS column names a rate.
extension OVSDatabase.PortRow {
    func applyRates(to c: inout PortConfig, was old: OVSColumns?, records: [String: OVSDatabase.RecordRow]) throws(OVSError) {
        var policy = c.policy ?? PortPolicy()
        if ingressPolicingRate > 0 {
            policy.ingressRate = UInt64(ingressPolicingRate) * 1000
            policy.ingressBurst = ingressPolicingBurst > 0 ? UInt64(ingressPolicingBurst) * 1000 / 8 : nil
        } else if (old?.ingressPolicingRate ?? 0) > 0 {
            policy.ingressRate = nil; policy.ingressBurst = nil
        }
        if let shaping = try shaping(records: records) {
            policy.egressRate = shaping.rate; policy.egressBurst = shaping.burst; policy.egressPeak = nil
        } else if old?.qos != nil {
            policy.egressRate = nil; policy.egressBurst = nil; policy.egressPeak = nil
        }
        c.policy = policy.isEmpty ? nil : policy
    }

    /// The rate and burst (bytes) of the port's QoS row, nil when it has none or it names no rate.
    func shaping(records: [String: OVSDatabase.RecordRow]) throws(OVSError) -> (rate: UInt64, burst: UInt64?)? {
        guard let qos, let row = records[qos] else { return nil }
        guard row.type == "linux-htb" || row.type == "linux-hfsc" || row.type.isEmpty else {
            throw OVSError("port \(name): QoS type \"\(row.type)\" is not supported by Tapestry (linux-htb or linux-hfsc)")
        }
        let queue = row.queues[0].flatMap { records[$0] }
        func number(_ key: String) throws(OVSError) -> UInt64? {
            guard let text = row.otherConfig[key] ?? queue?.otherConfig[key] else { return nil }
            guard let n = UInt64(text) else { throw OVSError("QoS \(row.uuid): other_config:\(key) \"\(text)\" is not a number") }
            return n
        }
        let maxRate = try number("max-rate")
        let minRate = try number("min-rate")
        guard let rate = maxRate ?? minRate, rate > 0 else { return nil }
        let burst = try number("burst").map { $0 / 8 }
        return (rate, burst == 0 ? nil : burst)
    }
}
