/// What went wrong talking to etcd.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint answered (each one's failure named).
    case unavailable(String)
    /// etcd answered with an error (gRPC status code and etcd's message).
    case server(code: Int, message: String)
    /// The answer could not be read.
    case malformedResponse(String)
    /// The revision a watch wanted to resume from was compacted away; the watcher must read again.
    case compacted(revision: Int64)
    /// The lease is gone (expired or revoked).
    case leaseExpired(Int64)
    /// A bad client setting (endpoint list, TLS files).
    case configuration(String)
    /// authentication failed.
    case authentication(String)

    public var description: String {
        switch self {
        case .unavailable(let s): return "etcd is unavailable: \(s)"
        case .server(let code, let message): return "etcd refused the request: \(message) (code \(code))"
        case .malformedResponse(let s): return "unreadable answer from etcd: \(s)"
        case .compacted(let r): return "etcd compacted the history up to revision \(r)"
        case .leaseExpired(let id): return "etcd lease \(String(id, radix: 16)) expired"
        case .configuration(let s): return "bad etcd client setting: \(s)"
        case .authentication(let s): return "etcd authentication failed: \(s)"
        }
    }

    /// gRPC codes that say "this member cannot serve now, another may": unavailable, deadline
    /// exceeded, unknown (etcd's "leader changed" / "no leader").
    var isRetryableElsewhere: Bool {
        switch self {
        case .unavailable: return true
        case .server(let code, let message):
            return code == 14 || code == 4 || message.contains("no leader") || message.contains("leader changed")
                || message.contains("timed out")
        default: return false
        }
    }

    /// The token was not accepted: authenticate again.
    var isAuthTokenProblem: Bool {
        if case .server(let code, let message) = self {
            return code == 16 || message.contains("invalid auth token") || message.contains("user name is empty")
        }
        return false
    }
}
