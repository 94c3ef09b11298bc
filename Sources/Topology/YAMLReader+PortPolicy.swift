import TapestryModel
import Yams

extension YAMLReader {
    static let policyKeys = ["ingress-rate", "ingress-burst", "egress-rate", "egress-burst", "egress-peak", "allowed-addresses",
                             "trusted", "storm-limit", "delay", "jitter", "loss", "duplicate", "rate", "impair-direction", "seed"]

    /// A port's `policy:` mapping, with the CLI's option names and units:
    /// `{egress-rate: 50mbit, allowed-addresses: ["52:54:00:00:00:01,10.0.0.5"], storm-limit: "broadcast=100pps", delay: 20ms}`.
    func portPolicy(_ node: Node, _ what: String) -> PortPolicy? {
        let what = "policy of \(what)"
        guard let m = mapping(node, what, allowed: Self.policyKeys) else { return nil }
        var p = PortPolicy()
        var impairment = ImpairmentConfig()
        var ok = true
        func read<T>(_ key: String, _ parse: (String, String) throws(ModelError) -> T) -> T? {
            guard let text = m.string(key) else { return nil }
            do { return try parse(text, key) } catch {
                self.error(m.position(of: key), "\(what): \(error.message)"); ok = false; return nil
            }
        }
        p.ingressRate = read("ingress-rate") { t, k throws(ModelError) in try PolicyUnits.rate(t, what: k) }
        p.ingressBurst = read("ingress-burst") { t, k throws(ModelError) in try PolicyUnits.size(t, what: k) }
        p.egressRate = read("egress-rate") { t, k throws(ModelError) in try PolicyUnits.rate(t, what: k) }
        p.egressBurst = read("egress-burst") { t, k throws(ModelError) in try PolicyUnits.size(t, what: k) }
        p.egressPeak = read("egress-peak") { t, k throws(ModelError) in try PolicyUnits.rate(t, what: k) }
        if let list = m.strings("allowed-addresses") {
            for (text, pos) in list {
                do { p.allowedAddresses.append(try AllowedAddress.parse(text)) } catch {
                    self.error(pos, "\(what): \(error.message)"); ok = false
                }
            }
        }
        p.trusted = m.bool("trusted")
        if let limits = read("storm-limit", { t, k throws(ModelError) in try PolicyUnits.stormLimits(t, what: k) }) {
            (p.stormBroadcast, p.stormMulticast, p.stormUnknownUnicast) = limits
        }
        impairment.delayNanos = read("delay") { t, k throws(ModelError) in try PolicyUnits.duration(t, what: k) }
        impairment.jitterNanos = read("jitter") { t, k throws(ModelError) in try PolicyUnits.duration(t, what: k) }
        impairment.lossPPM = read("loss") { t, k throws(ModelError) in try PolicyUnits.percent(t, what: k) }
        impairment.duplicatePPM = read("duplicate") { t, k throws(ModelError) in try PolicyUnits.percent(t, what: k) }
        impairment.rate = read("rate") { t, k throws(ModelError) in try PolicyUnits.rate(t, what: k) }
        if let d = m.string("impair-direction") {
            if let v = ImpairmentConfig.Direction(rawValue: d) { impairment.direction = v } else {
                error(m.position(of: "impair-direction"), "\(what): invalid impair-direction '\(d)' (in, out or both)"); ok = false
            }
        }
        if let s = m.int("seed", 0...Int.max) { impairment.seed = UInt64(s) }
        if impairment != ImpairmentConfig() { p.impairment = impairment }
        return ok ? p : nil
    }
}

extension PortPolicy {
    /// The `policy:` mapping of a topology file (the inverse of `TopologyParser.policy`).
    var topologyFields: [String] {
        var f: [String] = []
        if let v = ingressRate { f.append("ingress-rate: \(PolicyUnits.formatRate(v))") }
        if let v = ingressBurst { f.append("ingress-burst: \(PolicyUnits.formatSize(v))") }
        if let v = egressRate { f.append("egress-rate: \(PolicyUnits.formatRate(v))") }
        if let v = egressBurst { f.append("egress-burst: \(PolicyUnits.formatSize(v))") }
        if let v = egressPeak { f.append("egress-peak: \(PolicyUnits.formatRate(v))") }
        if !allowedAddresses.isEmpty { f.append("allowed-addresses: [\(allowedAddresses.map { "\"\($0)\"" }.joined(separator: ", "))]") }
        if let t = trusted { f.append("trusted: \(t)") }
        let storm = [("broadcast", stormBroadcast), ("multicast", stormMulticast), ("unknown-unicast", stormUnknownUnicast)]
            .compactMap { n, v in v.map { "\(n)=\($0)pps" } }
        if !storm.isEmpty { f.append("storm-limit: \"\(storm.joined(separator: ","))\"") }
        if let i = impairment {
            if let v = i.delayNanos { f.append("delay: \(PolicyUnits.formatDuration(v))") }
            if let v = i.jitterNanos { f.append("jitter: \(PolicyUnits.formatDuration(v))") }
            if let v = i.lossPPM { f.append("loss: \"\(PolicyUnits.formatPercent(v))\"") }
            if let v = i.duplicatePPM { f.append("duplicate: \"\(PolicyUnits.formatPercent(v))\"") }
            if let v = i.rate { f.append("rate: \(PolicyUnits.formatRate(v))") }
            if let v = i.direction { f.append("impair-direction: \(v.rawValue)") }
            if let v = i.seed { f.append("seed: \(v)") }
        }
        return f
    }
}
