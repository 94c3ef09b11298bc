extension PortPolicy {
    /// One line for `show`: `ingress 100mbit burst 256k, egress 50mbit, allowed 52:54:…,10.0.0.5, trusted,
    /// storm broadcast=1000pps, delay 20ms jitter 5ms loss 1% (out)`.
    public var summary: String {
        var parts: [String] = []
        if let r = ingressRate { parts.append("ingress \(PolicyUnits.formatRate(r))" + (ingressBurst.map { " burst \(PolicyUnits.formatSize($0))" } ?? "")) }
        if let r = egressRate {
            parts.append("egress \(PolicyUnits.formatRate(r))" + (egressBurst.map { " burst \(PolicyUnits.formatSize($0))" } ?? "")
                + (egressPeak.map { " peak \(PolicyUnits.formatRate($0))" } ?? ""))
        }
        if !allowedAddresses.isEmpty { parts.append("allowed " + allowedAddresses.map(\.description).joined(separator: " ")) }
        if let trusted { parts.append(trusted ? "trusted" : "untrusted") }
        let storm = [("broadcast", stormBroadcast), ("multicast", stormMulticast), ("unknown-unicast", stormUnknownUnicast)]
            .compactMap { name, v in v.map { "\(name)=\($0)pps" } }
        if !storm.isEmpty { parts.append("storm " + storm.joined(separator: ",")) }
        if let i = impairment, !i.isEmpty {
            var s: [String] = []
            if let d = i.delayNanos { s.append("delay \(PolicyUnits.formatDuration(d))") }
            if let j = i.jitterNanos { s.append("jitter \(PolicyUnits.formatDuration(j))") }
            if let l = i.lossPPM { s.append("loss \(PolicyUnits.formatPercent(l))") }
            if let d = i.duplicatePPM { s.append("duplicate \(PolicyUnits.formatPercent(d))") }
            if let r = i.rate { s.append("rate \(PolicyUnits.formatRate(r))") }
            parts.append(s.joined(separator: " ") + " (\((i.direction ?? .out).rawValue))" + (i.seed.map { " seed \($0)" } ?? ""))
        }
        return parts.joined(separator: ", ")
    }
}
