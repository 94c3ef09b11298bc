import ControlProtocol
import HostSystem

/// Why a call to tapestryd failed; `description` is the cause as users read it.
enum ControlClientError: Error, CustomStringConvertible {
    /// The socket is missing or nobody listens on it.
    case notRunning(path: String, errno: Int32)
    /// Connecting failed for another reason (permissions, path too long, ...).
    case connectFailed(path: String, cause: String)
    /// A socket call failed mid-exchange.
    case io(call: String, errno: Int32)
    /// No complete reply within the time allowed.
    case timedOut(seconds: Int)
    /// The daemon closed the connection before replying.
    case closed
    /// The reply was not a JSON-RPC response we understand.
    case malformedReply(String)
    /// The daemon answered with a JSON-RPC error.
    case daemon(RPCError)

    var description: String {
        switch self {
        case .notRunning(let path, let errno):
            return "could not connect to tapestryd at \(path): is tapestryd running? (\(describeErrno(errno)))"
        case .connectFailed(let path, let cause):
            return "could not connect to tapestryd at \(path): \(cause)"
        case .io(let call, let errno):
            return "\(call) on the control socket failed: \(describeErrno(errno)) (errno \(errno))"
        case .timedOut(let seconds):
            return "no reply from tapestryd within \(seconds) s"
        case .closed:
            return "tapestryd closed the connection without replying"
        case .malformedReply(let detail):
            return "unreadable reply from tapestryd: \(detail)"
        case .daemon(let error):
            return error.message
        }
    }
}

extension ControlClientError {
    /// The failure of the socket exchange, as the CLI reports it.
    init(_ failure: UnixStreamClient.Failure, seconds: Int) {
        switch failure {
        case .notListening(let path, let errno): self = .notRunning(path: path, errno: errno)
        case .connectFailed(let path, let cause): self = .connectFailed(path: path, cause: cause)
        case .timedOut: self = .timedOut(seconds: seconds)
        case .closed: self = .closed
        case .tooLong(let limit): self = .malformedReply("reply longer than \(limit) bytes")
        case .denied(let path, let errno): self = .connectFailed(path: path, cause: "\(describeErrno(errno)) (the socket is root-only)")
        case .io(let call, let errno): self = .io(call: call, errno: errno)
        }
    }
}
