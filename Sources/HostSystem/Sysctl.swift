import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Kernel parameters under /proc/sys. The `net.*` ones belong to the network namespace of the
/// calling process, so a daemon in its own namespace changes only that namespace's values.
public enum Sysctl {
    /// `/proc/sys/net/ipv4/ip_forward` for `net.ipv4.ip_forward`.
    public static func path(_ key: String) -> String {
        "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
    }

    /// `sysctl -n KEY`; nil when it cannot be read.
    public static func read(_ key: String) -> String? {
        guard let text = try? String(contentsOfFile: path(key), encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `sysctl -w KEY=VALUE`.
    public static func write(_ key: String, _ value: String) throws(SystemError) {
        let fd = open(path(key), O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("set \(key)", errno: errno) }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw SystemError("set \(key) to \(value)", errno: errno) }
    }
}
