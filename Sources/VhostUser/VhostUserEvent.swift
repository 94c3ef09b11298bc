/// What a vhost-user endpoint tells the daemon as it happens (recorded in `tapestry events`).
public enum VhostUserEvent: Sendable, Equatable {
    /// A front-end connected (server) or tapestryd reached the front-end's socket (client).
    case connected(path: String)
    /// The connection ended: the peer closed it (reason nil) or a message was refused.
    case disconnected(reason: String?)
    /// The datapath now serves this many of the guest's receive and transmit queues.
    case queues(receive: Int, transmit: Int, features: UInt64)
    /// A vring could not be served (its addresses lie outside the guest's memory).
    case vringRefused(String)

    /// The event's kind in the event log.
    public var kind: String {
        switch self {
        case .connected: "vhost-user-connected"
        case .disconnected: "vhost-user-disconnected"
        case .queues: "vhost-user-queues"
        case .vringRefused: "vhost-user-error"
        }
    }

    /// One line saying what happened.
    public var detail: String {
        switch self {
        case .connected(let path): "peer connected on \(path)"
        case .disconnected(let reason): "peer disconnected" + (reason.map { ": \($0)" } ?? "")
        case .queues(let rx, let tx, let f):
            "serving \(rx) receive and \(tx) transmit queue(s); features \(VhostUserFeatures.names(f).joined(separator: ","))"
        case .vringRefused(let why): why
        }
    }
}
