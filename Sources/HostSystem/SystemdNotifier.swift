import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) without libsystemd: sends state lines such as `READY=1` to the datagram socket
/// named by `$NOTIFY_SOCKET` (a path, or an abstract name starting with `@`). Does nothing when
/// the variable is unset, i.e. when not started by systemd with `Type=notify`.
public struct SystemdNotifier: Sendable {
    /// The socket address from the environment, or nil when there is none.
    public let socketName: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let name = environment["NOTIFY_SOCKET"] ?? ""
        socketName = name.isEmpty ? nil : name
    }

    /// Sends `state` (e.g. "READY=1\nSTATUS=listening"). Returns false when there is no socket
    /// or it could not be reached; systemd then times the start out, which the log explains.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let name = socketName else { return false }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        // An abstract address's length counts only the bytes used; a path's includes its NUL.
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, socklen_t(length)) }
            }
        }
        return sent == message.count
    }
}
