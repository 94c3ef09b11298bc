import ControlProtocol
import TapestryModel

extension PortConfig {
    /// Applies `set-port` parameters: access VLAN, trunk settings, back to default, isolation, limits, policy,
    /// external ids, OVS columns and the spanning tree fields given.
    mutating func apply(_ p: SetPortParams) {
        if p.clearVLAN { vlan = nil; trunk = nil; native = nil; nativeMode = nil }
        if let v = p.accessVLAN { vlan = v; trunk = nil; native = nil; nativeMode = nil }
        if p.trunk != nil || p.native != nil || p.nativeMode != nil {
            vlan = nil
            if let t = p.trunk { trunk = t }
            if let n = p.native { native = n }
            if let m = p.nativeMode { nativeMode = m }
        }
        if let iso = p.isolated { isolated = iso }
        if let limit = p.maxMACs { maxMACs = limit == 0 ? nil : limit }
        if let edit = p.policy { policy = edit.applied(to: policy) }
        if let ids = p.externalIDs { externalIDs = ids.isEmpty ? nil : ids }
        if let columns = p.ovs { ovs = columns.isEmpty ? nil : columns }
        if let given = p.stp {
            // The spanning tree fields given replace the port's; the others stay.
            var merged = stp ?? PortSTPConfig()
            if let v = given.cost { merged.cost = v }
            if let v = given.priority { merged.priority = v }
            if let v = given.edge { merged.edge = v }
            if let v = given.bpduGuard { merged.bpduGuard = v }
            if let v = given.p2p { merged.p2p = v }
            stp = merged.isEmpty ? nil : merged
        }
    }
}
