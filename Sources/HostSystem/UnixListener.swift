import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A listening Unix stream socket for the control protocol, and its connections.
public final class UnixListener: Sendable {
    public let path: String
    public let fd: Int32

    /// Binds `path` with `mode` (and `group` when given). Refuses when a daemon already answers
    /// there; removes a stale socket file otherwise.
    public init(path: String, mode: mode_t = 0o660, group: gid_t? = nil) throws(SystemError) {
        self.path = path
        if UnixConnection.canConnect(path) {
            throw SystemError("listen on \(path)", cause: "another tapestryd is already running there")
        }
        unlink(path)
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SystemError("create socket \(path)", errno: errno) }
        var addr = try UnixConnection.address(path)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { let e = errno; Glibc.close(s); throw SystemError("bind \(path)", errno: e) }
        if chmod(path, mode) != 0 { let e = errno; Glibc.close(s); throw SystemError("chmod \(path)", errno: e) }
        if let group, chown(path, 0, group) != 0 { let e = errno; Glibc.close(s); throw SystemError("chown \(path)", errno: e) }
        if listen(s, 64) != 0 { let e = errno; Glibc.close(s); throw SystemError("listen on \(path)", errno: e) }
        fd = s
    }

    /// Waits for the next connection; nil once the listener is closed.
    public func accept() -> UnixConnection? {
        while true {
            let c = tp_accept(fd)
            if c >= 0 { return UnixConnection(fd: c) }
            if c == -EINTR || c == -ECONNABORTED { continue }
            return nil
        }
    }

    /// Stops accepting and removes the socket file.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        unlink(path)
    }
}
