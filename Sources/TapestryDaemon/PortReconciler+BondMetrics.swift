/// The bonds' metrics: per member whether it carries traffic, its up/down transitions and LACPDU counters.
extension PortReconciler {
    func bondSamples(gauge: (( String, String), [(String, String)], Double) -> Void,
                     counter: ((String, String), [(String, String)], UInt64) -> Void) {
        for (name, bridge, bond) in bonds {
            let c = bond.controller
            for (i, member) in bond.backend.memberNames.enumerated() {
                let labels = [("bridge", bridge), ("bond", name), ("member", member)]
                gauge(("tapestry_bond_member_enabled", "1 when the bond member carries traffic (carrier, delays and LACP agree), else 0."),
                      labels, c.enabled[i] ? 1 : 0)
                counter(("tapestry_bond_member_changes_total", "Carrier up/down transitions of the bond member's netdev."),
                        labels, bond.memberChanges[i])
                gauge(("tapestry_bond_member_buckets", "Hash buckets (of 256) that leave by the bond member."),
                      labels, Double(c.hasher.buckets.filter { $0 == i }.count))
                guard let lacp = c.lacp else { continue }
                let m = lacp.members[i]
                counter(("tapestry_bond_lacp_rx_total", "LACPDUs received on the bond member."), labels, m.rxLACPDUs)
                counter(("tapestry_bond_lacp_tx_total", "LACPDUs sent on the bond member."), labels, m.txLACPDUs)
                counter(("tapestry_bond_lacp_rx_bad_total", "Malformed LACPDUs received on the bond member."), labels, m.rxBad)
            }
        }
    }
}
