/// What a watch delivers: changes (in revision order, each exactly once), and when its stream to
/// a member was made or lost (it is made again, on the next member, resuming after the last
/// change delivered).
public enum EtcdWatchUpdate: Sendable, Equatable {
    /// Changes; `revision` is the last one's (the watch resumes at `revision + 1`).
    case events([EtcdEvent], revision: Int64)
    /// The stream is open on `endpoint`; changes from `resumeRevision` on will follow.
    case connected(endpoint: String, resumeRevision: Int64)
    /// The stream was lost; the watch is trying again.
    case disconnected(String)
}
