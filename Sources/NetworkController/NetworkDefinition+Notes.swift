/// What Tapestry keeps of a definition (it is stored and written back) but does not act on, so that
/// `net-define` can say so instead of ignoring it silently.
extension NetworkDefinition {
    /// One line per setting that is kept but has no effect in Tapestry, in document order.
    public var settingsNotActedOn: [String] {
        var notes: [String] = []
        let mode = forward.mode
        switch mode {
        case .private, .vepa, .passthrough, .hostdev:
            notes.append("<forward mode='\(mode.rawValue)'>: kept; Tapestry cannot start such a network (nat, route, open, isolated and bridge it can)")
        case .bridge where bridge.name == nil:
            notes.append("<forward mode='bridge'> without <bridge name=…>: libvirt's macvtap network; kept, but Tapestry starts bridge-mode networks only on one of its bridges named in <bridge name=…/>")
        default:
            break
        }
        if let m = bridge.macTableManager {
            notes.append("<bridge macTableManager='\(m)'>: kept; a Tapestry bridge learns MAC addresses itself")
        }
        if let z = bridge.zone { notes.append("<bridge zone='\(z)'>: kept; Tapestry puts its rules in its own nftables table, not in a firewalld zone") }
        if bridge.stp == true, let d = bridge.delay, d != 0, !(4...30).contains(d) {
            notes.append("<bridge delay='\(d)'>: kept; the spanning tree's forward delay stays 15 s (802.1D allows 4-30)")
        }
        if let t = trustGuestRxFilters { notes.append("trustGuestRxFilters='\(t ? "yes" : "no")': kept; Tapestry has no guest receive filters") }
        if let v = virtualPort {
            notes.append("<virtualport type='\(v.attribute("type") ?? "")'>: kept for libvirt; a Tapestry bridge needs no virtual port profile")
        }
        if mode != .bridge {
            if vlan != nil { notes.append("<vlan>: kept; VLANs are given to ports of networks of forward mode 'bridge' only") }
            for g in portGroups where g.element.element(named: "vlan") != nil {
                notes.append("<portgroup name='\(g.name)'><vlan>: kept; VLANs are given to ports of networks of forward mode 'bridge' only")
            }
        }
        for g in portGroups where g.element.element(named: "virtualport") != nil {
            notes.append("<portgroup name='\(g.name)'><virtualport>: kept for libvirt; Tapestry uses no port profiles")
        }
        let bandwidths = [("<bandwidth>", bandwidth)] + portGroups.map { ("<portgroup name='\($0.name)'><bandwidth>", $0.element.element(named: "bandwidth")) }
        for case let (place, b?) in bandwidths where b.elements.contains(where: { $0.attribute("floor") != nil }) {
            notes.append("\(place) floor: kept; a guaranteed minimum is not enforced (average, peak and burst are)")
        }
        for e in unknownElements { notes.append("<\(e.name)>: unknown element, kept") }
        return notes
    }
}
