import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The small file operations around helper daemons (their config, pid, lease and log files), each
/// forgiving where the daemon does not care: a missing file to remove is already removed.
public enum HostFiles {
    /// `unlink(path)`; a missing file is not an error.
    public static func remove(_ path: String) { _ = unlink(path) }

    /// Empties a file (a log at a helper's start); a missing file stays missing.
    public static func empty(_ path: String) { _ = truncate(path, 0) }

    /// `chmod(path, mode)`, whatever the umask was at creation.
    public static func setMode(_ path: String, _ mode: UInt32) { _ = chmod(path, mode_t(mode)) }

    /// Lets others traverse (o+x) directory `path` without listing it.
    public static func allowTraversal(_ path: String) {
        var st = stat()
        if stat(path, &st) == 0 && st.st_mode & 0o001 == 0 { _ = chmod(path, (st.st_mode & 0o7777) | 0o001) }
    }

    /// Creates `path` empty if missing, sets `mode` and, when given, hands it to `owner`.
    public static func prepare(_ path: String, mode: UInt32, owner: ServiceAccount?) {
        if access(path, F_OK) != 0 { FileManager.default.createFile(atPath: path, contents: nil) }
        setMode(path, mode)
        if let owner { _ = chown(path, owner.uid, owner.gid) }
    }

    /// The pid written in a pid file, if it holds one.
    public static func readPID(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
