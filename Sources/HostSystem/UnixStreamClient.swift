import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client connection to a Unix stream socket carrying newline-framed messages (the control
/// protocol): the CLI, the topology runner and the tests use this one. Every call is bounded by
/// the timeout given at connect; closing happens on deinit.
public final class UnixStreamClient {
    /// Why an exchange failed.
    public enum Failure: Error, Sendable, Equatable {
        /// The socket is missing or nobody listens on it (ENOENT, ECONNREFUSED, ENOTDIR).
        case notListening(path: String, errno: Int32)
        /// Connecting was not permitted (EACCES, EPERM: the socket's mode or group).
        case denied(path: String, errno: Int32)
        /// Connecting failed for another reason (permissions, path too long, ...).
        case connectFailed(path: String, cause: String)
        /// No complete exchange within the timeout.
        case timedOut
        /// The peer closed the connection (before sending anything, or while we sent).
        case closed
        /// A reply line longer than the limit.
        case tooLong(limit: Int)
        /// Another failed call.
        case io(call: String, errno: Int32)
    }

    public let path: String
    private let fd: Int32
    private let deadline: ContinuousClock.Instant
    private var pending: [UInt8] = []

    /// Connects to `path`; the whole exchange that follows must end within `timeout`.
    public init(path: String, timeout: Duration) throws(Failure) {
        self.path = path
        deadline = ContinuousClock.now + timeout
        var address: sockaddr_un
        do { address = try UnixConnection.address(path) } catch {
            throw .connectFailed(path: path, cause: path.isEmpty ? "empty socket path" : "socket path too long")
        }
        if path.isEmpty { throw .connectFailed(path: path, cause: "empty socket path") }
        let s: Int32
        do { s = try Syscall.run("socket", "for \(path)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) } }
        catch { throw .io(call: "socket", errno: error.code) }
        // The send timeout also bounds a connect to a full backlog.
        Self.setTimeout(s, SO_SNDTIMEO, timeout)
        // `fd` is set only once connected: a class whose stored properties are all set runs its
        // deinit (which closes `fd`) even when its init throws, so setting it earlier closed the
        // socket twice on a refused connect — and the second close could hit another thread's new fd.
        do {
            try Syscall.run("connect", "to \(path)") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
        } catch {
            Syscall.close(s)
            switch error.code {
            case ENOENT, ECONNREFUSED, ENOTDIR: throw .notListening(path: path, errno: error.code)
            case EAGAIN: throw .timedOut
            case EACCES, EPERM: throw .denied(path: path, errno: error.code)
            default: throw .connectFailed(path: path, cause: "\(String(cString: strerror(error.code))) (errno \(error.code))")
            }
        }
        fd = s
    }

    /// Adopts `fd`, a stream already connected (one end of a socketpair whose other end is
    /// `ssh … tapestry proxy`, for `tapestry --connect`); `name` stands for the path in messages.
    public init(adopting fd: Int32, name: String, timeout: Duration) {
        path = name
        self.fd = fd
        deadline = ContinuousClock.now + timeout
    }

    deinit { Syscall.close(fd) }

    /// Sends `bytes` whole.
    public func send(_ bytes: [UInt8]) throws(Failure) {
        setTimeout(SO_SNDTIMEO, deadline - ContinuousClock.now)
        do { try Syscall.sendAll(fd, bytes, what: "to \(path)") } catch {
            switch error.code {
            case EAGAIN: throw .timedOut
            case EPIPE, ECONNRESET: throw .closed
            default: throw .io(call: "send", errno: error.code)
            }
        }
    }

    /// Reads up to the next newline (not included). At the end of the stream, what came without a
    /// newline is the line; nothing at all is `.closed`.
    public func readLine(limit: Int) throws(Failure) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let nl = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<nl])
                pending.removeFirst(nl + 1)
                return line
            }
            guard pending.count <= limit else { throw .tooLong(limit: limit) }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw .timedOut }
            setTimeout(SO_RCVTIMEO, left)
            let n: Int
            do { n = try Syscall.run("recv", "from \(path)") { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } } } catch {
                switch error.code {
                case EAGAIN: throw .timedOut
                case ECONNRESET: throw .closed
                default: throw .io(call: "recv", errno: error.code)
                }
            }
            if n == 0 {
                guard !pending.isEmpty else { throw .closed }
                defer { pending = [] }
                return pending
            }
            pending += chunk[..<n]
        }
    }

    /// Sends `request` and a newline, and returns the reply line.
    public func exchange(_ request: [UInt8], replyLimit: Int) throws(Failure) -> [UInt8] {
        try send(request + [0x0A])
        return try readLine(limit: replyLimit)
    }

    /// Sets SO_SNDTIMEO or SO_RCVTIMEO to `remaining`, at least one millisecond (zero would mean "forever").
    private func setTimeout(_ option: Int32, _ remaining: Duration) { Self.setTimeout(fd, option, remaining) }

    private static func setTimeout(_ fd: Int32, _ option: Int32, _ remaining: Duration) {
        let c = remaining.components
        let micros = max(1000, c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000)
        var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}
