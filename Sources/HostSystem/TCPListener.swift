import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket (the metrics endpoint) bound to one IPv4 or IPv6 address.
public final class TCPListener: Sendable {
    public let fd: Int32
    /// `HOST:PORT` as bound (the port the kernel chose when 0 was asked).
    public let address: String

    /// Parses `HOST:PORT` (`127.0.0.1:9420`, `[::1]:9420`); nil when malformed.
    public static func parse(_ text: String) -> (host: String, port: UInt16)? {
        let host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let p = UInt16(port), String(p) == port else { return nil }
        return (String(host), p)
    }

    /// Binds and listens on `host:port` with SO_REUSEADDR.
    public init(host: String, port: UInt16) throws(SystemError) {
        let what = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else {
                throw SystemError("listen on \(what)", cause: "'\(host)' is not an IP address")
            }
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else {
                throw SystemError("listen on \(what)", cause: "'\(host)' is not an IP address")
            }
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        let s = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SystemError("create socket for \(what)", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let r = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) }
        }
        if r != 0 { let e = errno; Glibc.close(s); throw SystemError("bind \(what)", errno: e) }
        if listen(s, 16) != 0 { let e = errno; Glibc.close(s); throw SystemError("listen on \(what)", errno: e) }
        var bound = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) }
        }
        // sin_port and sin6_port both sit at offset 2.
        let boundPort = withUnsafeBytes(of: bound) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
        fd = s
        address = host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
    }

    /// Waits for the next connection; nil once the listener is closed.
    public func accept() -> TCPConnection? {
        while true {
            let c = tp_accept(fd)
            if c >= 0 { return TCPConnection(fd: c) }
            if c == -EINTR || c == -ECONNABORTED || c == -EMFILE || c == -ENFILE {
                if c != -EINTR && c != -ECONNABORTED { usleep(100_000) }
                continue
            }
            return nil
        }
    }

    /// Stops accepting.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

/// One accepted TCP connection with bounded, timed reads.
public final class TCPConnection: @unchecked Sendable {
    public let fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// Reads until `isComplete` says the bytes so far are enough, at most `limit` bytes, giving up
    /// when the peer sends nothing for `timeoutMilliseconds`. Returns what arrived and whether it was complete.
    public func read(limit: Int, timeoutMilliseconds: Int32, isComplete: ([UInt8]) -> Bool) -> (bytes: [UInt8], complete: Bool) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while bytes.count < limit {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { return (bytes, false) }
            let want = min(chunk.count, limit - bytes.count)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, want, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return (bytes, false) }
            bytes += chunk[0..<n]
            if isComplete(bytes) { return (bytes, true) }
        }
        return (bytes, isComplete(bytes))
    }

    /// Writes all of `bytes` (blocking, at most `timeoutSeconds` per send); false when the peer went away.
    @discardableResult
    public func write(_ bytes: [UInt8], timeoutSeconds: Int = 5) -> Bool {
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return (try? Syscall.sendAll(fd, bytes, what: "HTTP reply")) != nil
    }

    /// Ends the reply (FIN), then discards what the peer still sends, at most `drainLimit` bytes for at most
    /// `timeoutMilliseconds`, so that closing with unread input does not reset the connection before the
    /// peer has read the reply.
    public func finish(drainLimit: Int = 65536, timeoutMilliseconds: Int32 = 200) {
        shutdown(fd, Int32(SHUT_WR))
        _ = read(limit: drainLimit, timeoutMilliseconds: timeoutMilliseconds) { _ in false }
        Glibc.close(fd)
    }

    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
