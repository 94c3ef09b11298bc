/// Egress shaping and impairments toward a port act on the datapath's egress queue of that port,
/// which frames to a VM go through. A vxlan port's frames leave through its tunnel's UDP socket and
/// a patch port's go straight into its peer's bridge, without that queue: such a policy would be
/// accepted and do nothing, so it is refused (when it is set; a stored one is kept as it is).
extension PortConfig {
    /// Why this port's policy cannot apply, or nil: egress shaping or impairments toward the port
    /// (`--impair-direction out|both`) on a vxlan or patch port.
    public var egressPolicyProblem: String? {
        guard type == .vxlan || type == .patch, let p = policy else { return nil }
        let path = type == .vxlan ? "its tunnel's UDP socket" : "its peer's bridge"
        if p.egressRate != nil || p.egressBurst != nil || p.egressPeak != nil {
            return "egress shaping (--egress-rate) does not apply on a \(type.rawValue) port: its frames leave through \(path), "
                + "not through an egress queue; shape the VMs' ports instead"
        }
        if let i = p.impairment, !i.isEmpty, (i.direction ?? .out) != .in {
            return "impairments toward a \(type.rawValue) port (--impair-direction \((i.direction ?? .out).rawValue)) do not apply: "
                + "its frames leave through \(path), not through an egress queue; use --impair-direction in, or impair the VMs' ports"
        }
        return nil
    }
}

extension DesiredState {
    /// The first port of `self` whose egress policy cannot apply (`PortConfig.egressPolicyProblem`)
    /// and that is new or changed since `old` (a stored one that stays as it was is not refused):
    /// the refusal, naming the port and its bridge, or nil.
    public func egressPolicyRefusal(comparedTo old: DesiredState) -> String? {
        for b in bridges {
            let before = old.bridge(named: b.name)
            for p in b.ports {
                guard let problem = p.egressPolicyProblem, before?.port(named: p.name) != p else { continue }
                return "port \(p.name) on bridge \(b.name): \(problem)"
            }
        }
        return nil
    }
}
