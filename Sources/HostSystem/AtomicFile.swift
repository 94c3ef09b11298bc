import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write a temp file beside the target, fsync it, rename it over
/// the target, fsync the directory. A reader sees the old or the new file, never a mix.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws(SystemError) {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError("create \(tmp)", errno: errno) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        let writeErr: Int32 = data.withUnsafeBytes { raw -> Int32 in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return errno }
                off += n
            }
            return 0
        }
        if writeErr != 0 { close(fd); throw SystemError("write \(tmp)", errno: writeErr) }
        if fsync(fd) != 0 { let e = errno; close(fd); throw SystemError("fsync \(tmp)", errno: e) }
        close(fd)
        if rename(tmp, path) != 0 { throw SystemError("rename \(tmp) to \(path)", errno: errno) }
        ok = true
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Removes temp files a crash may have left beside `path`.
    public static func removeLeftovers(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent + ".tmp."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(base) {
            unlink(dir + "/" + name)
        }
    }
}
