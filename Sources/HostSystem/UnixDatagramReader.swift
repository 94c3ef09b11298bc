import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bound Unix datagram socket that receives records (the reader side of `tapestry capture`).
/// The socket file is removed by `close()`, which is idempotent.
public final class UnixDatagramReader: @unchecked Sendable {
    public let path: String
    public let fd: Int32
    private var closed = false

    /// Binds `path` (mode 0600) with a receive buffer of about `receiveBuffer` bytes.
    public init(path: String, receiveBuffer: Int32 = 8 << 20) throws(SystemError) {
        self.path = path
        let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SystemError("create socket \(path)", errno: errno) }
        var size = receiveBuffer
        // SO_RCVBUFFORCE passes the rmem_max cap as root; SO_RCVBUF is the fallback.
        if setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr: sockaddr_un
        do { addr = try UnixConnection.address(path) } catch { Glibc.close(s); throw error }
        unlink(path)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { let e = errno; Glibc.close(s); throw SystemError("bind \(path)", errno: e) }
        chmod(path, 0o600)
        fd = s
    }

    deinit { close() }

    /// What one receive gave.
    public enum Received: Equatable {
        /// A datagram of `length` bytes (larger than the buffer when truncated).
        case datagram(length: Int)
        /// Nothing arrived within the timeout, or a signal interrupted the wait.
        case timeout
        case failed(Int32)
    }

    /// Waits at most `timeoutMilliseconds` for one datagram and copies it into `buffer`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32) -> Received {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&p, 1, timeoutMilliseconds)
        if n < 0 { return errno == EINTR ? .timeout : .failed(errno) }
        if n == 0 { return .timeout }
        // MSG_TRUNC | MSG_DONTWAIT by value (0x20 | 0x40 on Linux): in an optimized whole-module build
        // of HostSystem, the libnl headers that other files import hide Glibc's MSG_DONTWAIT.
        let got = recv(fd, buffer.baseAddress, buffer.count, 0x20 | 0x40)
        if got < 0 { return errno == EINTR || errno == EAGAIN ? .timeout : .failed(errno) }
        return .datagram(length: got)
    }

    /// Closes the socket and removes its file.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
        unlink(path)
    }
}
