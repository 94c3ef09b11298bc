import TapestryModel

/// libvirt's `<bandwidth><inbound average= peak= burst=/><outbound …/></bandwidth>` as port
/// policy. libvirt's units: average and peak in KiB/s, burst in KiB; `inbound` is traffic toward
/// the guest (Tapestry's egress shaping), `outbound` traffic from it (the ingress rate).
/// `floor` is accepted and not enforced (it needs libvirt's QoS on the whole bridge).
public enum BandwidthLimits {
    /// The policy `<bandwidth>` asks for (only the rate fields set), or the reason it is wrong.
    public static func policy(_ bandwidth: XMLElementNode) throws(NetworkXMLError) -> PortPolicy {
        var p = PortPolicy()
        if let inbound = bandwidth.element(named: "inbound") {
            let (average, peak, burst) = try limits(inbound, direction: "inbound")
            p.egressRate = average
            p.egressPeak = peak
            p.egressBurst = burst
        }
        if let outbound = bandwidth.element(named: "outbound") {
            let (average, _, burst) = try limits(outbound, direction: "outbound")
            p.ingressRate = average
            p.ingressBurst = burst
        }
        return p
    }

    /// The bandwidth that applies to a port of `network` in `portGroup` (nil: the default
    /// portgroup): the portgroup's `<bandwidth>`, else the network's.
    public static func element(for network: NetworkDefinition, portGroup: String? = nil) -> XMLElementNode? {
        let group = portGroup.flatMap { name in network.portGroups.first { $0.name == name } }
            ?? network.portGroups.first(where: \.isDefault)
        return group?.element.element(named: "bandwidth") ?? network.bandwidth
    }

    private static func limits(_ e: XMLElementNode, direction: String) throws(NetworkXMLError) -> (UInt64?, UInt64?, UInt64?) {
        func kib(_ name: String) throws(NetworkXMLError) -> UInt64? {
            guard let text = e.attribute(name) else { return nil }
            guard let v = UInt64(text), v > 0, v <= 1 << 32 else {
                throw NetworkXMLError(message: "invalid network XML: <bandwidth><\(direction) \(name)='\(text)'>: must be a positive number of KiB\(name == "burst" ? "" : "/s")")
            }
            return v
        }
        let average = try kib("average"), peak = try kib("peak"), burst = try kib("burst")
        guard let average else {
            if peak != nil || burst != nil { throw NetworkXMLError(message: "invalid network XML: <bandwidth><\(direction)>: peak and burst need average") }
            return (nil, nil, nil)
        }
        return (average * 8192, peak.map { $0 * 8192 }, burst.map { $0 * 1024 })
    }
}
