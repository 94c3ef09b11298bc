import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One control connection: newline-framed messages with a size limit.
public final class UnixConnection: @unchecked Sendable {
    public let fd: Int32
    private var pending = Data()

    init(fd: Int32) { self.fd = fd }

    static func address(_ path: String) throws(SystemError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SystemError("use socket path \(path)", cause: "path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }

    static func canConnect(_ path: String) -> Bool {
        (try? UnixStreamClient(path: path, timeout: .seconds(1))) != nil
    }

    /// What reading a line gave.
    public enum Line {
        case line(Data)
        case tooLarge
        case closed
    }

    /// Reads up to the next newline; `.tooLarge` once more than `limit` bytes arrive without one.
    public func readLine(limit: Int) -> Line {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = pending.firstIndex(of: 0x0A) {
                if nl - pending.startIndex > limit { return .tooLarge }
                let line = pending[pending.startIndex..<nl]
                pending = Data(pending[(nl + 1)...])
                return .line(Data(line))
            }
            if pending.count > limit { return .tooLarge }
            let n = (try? Syscall.run("read", "control request") { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) ?? -1
            if n <= 0 {
                if pending.count > limit { return .tooLarge }
                if !pending.isEmpty { let last = pending; pending = Data(); return .line(last) }
                return .closed
            }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes all of `data`; false when the peer went away.
    @discardableResult
    public func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in (try? Syscall.sendAll(fd, raw, what: "control reply")) != nil }
    }

    public func close() { Glibc.close(fd) }

    /// The peer's uid (SO_PEERCRED).
    public var peerUID: uid_t? {
        let uid = tp_peer_uid(fd)
        return uid >= 0 ? uid_t(uid) : nil
    }
}
