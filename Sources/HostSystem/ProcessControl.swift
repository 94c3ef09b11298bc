import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ending processes by pid, the one way: SIGTERM, a grace period, then SIGKILL. Never by name.
public enum ProcessControl {
    /// How `terminate` ended.
    public enum Ending: Sendable, Equatable {
        /// It was not running (or, with a marker, was not the process meant).
        case notRunning
        /// It ended within the grace period after SIGTERM.
        case terminated
        /// It ignored SIGTERM and was killed.
        case killed
        /// It was still there after SIGKILL and `killWait` seconds (stuck in the kernel).
        case stuck
    }

    /// Ends `pid`: SIGTERM, up to `grace` seconds for it to go, then SIGKILL and up to `killWait`
    /// seconds more. With `marker`, only a process whose command line contains it is signalled (a pid
    /// from a stale file may be someone else's now). With `reap`, a child of ours is reaped here; pass
    /// false when another thread waits for it (a supervisor).
    @discardableResult
    public static func terminate(_ pid: pid_t, grace: Double, marker: String? = nil, reap: Bool = true,
                                 killWait: Double = 2) -> Ending {
        guard pid > 0, isAlive(pid, marker: marker, reap: reap) else { return .notRunning }
        _ = kill(pid, SIGTERM)
        if waitGone(pid, seconds: grace, marker: marker, reap: reap) { return .terminated }
        _ = kill(pid, SIGKILL)
        return waitGone(pid, seconds: killWait, marker: marker, reap: reap) ? .killed : .stuck
    }

    /// Ends several processes at once (one grace period for all of them).
    public static func terminate(_ pids: [pid_t], grace: Double, reap: Bool = true) {
        let alive = pids.filter { $0 > 0 && isAlive($0, marker: nil, reap: reap) }
        for pid in alive { _ = kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        for pid in alive { _ = waitGone(pid, seconds: max(0, deadline.timeIntervalSinceNow), marker: nil, reap: reap) }
        for pid in alive where isAlive(pid, marker: nil, reap: reap) {
            _ = kill(pid, SIGKILL)
            _ = waitGone(pid, seconds: 2, marker: nil, reap: reap)
        }
    }

    /// Whether `pid` runs (not a zombie; with `marker`, its command line contains it). Reaps it when
    /// it is an ended child of ours and `reap` is set.
    public static func isAlive(_ pid: pid_t, marker: String? = nil, reap: Bool = true) -> Bool {
        guard pid > 0 else { return false }
        if reap {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return false }
        }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") { return false }
        guard let marker else { return true }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self).contains(marker) }
    }

    /// Waits at most `seconds` for `pid` to end; true when it did.
    public static func waitGone(_ pid: pid_t, seconds: Double, marker: String? = nil, reap: Bool = true) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isAlive(pid, marker: marker, reap: reap) {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }
}
