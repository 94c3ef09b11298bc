import TapestryModel

/// The ports a host's part puts on the bridges of its running networks (pure, like
/// `ClusterConvergence`): the ports the cluster put there before and no longer wants are removed,
/// the wanted ones added or replaced; ports added on the host by hand stay.
public enum ClusterNetworkPorts {
    /// `wanted`: by network bridge, the ports (already given the network's port settings);
    /// `managed`: by network bridge, the names of ports the cluster put there. Returns the new state
    /// and what the cluster manages now. A bridge missing from `current` (its network is not
    /// running) gets nothing and is named in `missing`.
    public static func desired(current: DesiredState, wanted: [String: [PortConfig]], managed: [String: Set<String>])
        -> (state: DesiredState, managed: [String: Set<String>], missing: [String]) {
        var state = current
        var nowManaged: [String: Set<String>] = [:]
        var missing: [String] = []
        for name in Set(wanted.keys).union(managed.keys).sorted() {
            guard let i = state.bridges.firstIndex(where: { $0.name == name }) else {
                if wanted[name] != nil { missing.append(name) }
                continue
            }
            let ports = wanted[name] ?? []
            let keep = Set(ports.map(\.name))
            let stale = (managed[name] ?? []).subtracting(keep)
            state.bridges[i].ports.removeAll { stale.contains($0.name) }
            state.bridges[i].staticMACs.removeAll { stale.contains($0.port) }
            for p in ports {
                if let j = state.bridges[i].ports.firstIndex(where: { $0.name == p.name }) {
                    state.bridges[i].ports[j] = p
                } else {
                    state.bridges[i].ports.append(p)
                }
            }
            if !keep.isEmpty { nowManaged[name] = keep }
        }
        return (state, nowManaged, missing)
    }
}
