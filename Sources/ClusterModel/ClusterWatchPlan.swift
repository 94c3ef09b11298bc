/// Which key ranges a host watches: `fabric/` (the fabric: segments, meta and every host's part,
/// small and changed only by `cluster apply`) and `macs/<segment>/` of each segment it carries.
/// A host does not watch `hosts/` (registrations churn with every applied revision) nor the MACs
/// of segments it does not carry, so a MAC change reaches only the hosts of its segment.
public enum ClusterWatchPlan {
    /// The segments whose MACs `host` follows.
    public static func segments(host: String, view: ClusterView) -> Set<String> {
        Set(view.segments(of: host).map(\.name))
    }

    /// The prefixes `host` watches, sorted: the fabric's first.
    public static func prefixes(host: String, view: ClusterView) -> [String] {
        [view.keys.fabricPrefix] + segments(host: host, view: view).sorted().map(view.keys.macs(segment:))
    }
}
