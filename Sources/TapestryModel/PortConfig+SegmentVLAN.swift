extension PortConfig {
    /// The VLAN this port's untagged frames belong to when they cross a segment carried in
    /// `segmentVLAN` (nil: the segment takes any VLAN); nil when they do not cross it. Topology files
    /// and the cluster both decide with it which MACs a segment publishes.
    public func segmentVLAN(_ segmentVLAN: VLANID?) -> VLANID? {
        let own: VLANID?
        switch vlanMode {
        case .access(let v): own = v
        case .trunk(_, let native, _): own = native
        }
        guard let own else { return nil }
        if let segmentVLAN { return own == segmentVLAN ? own : nil }
        return own
    }
}
