import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting external programs (dnsmasq, radvd, nft) with posix_spawn: in a process group of
/// their own, with default signal dispositions and an empty signal mask (the daemon ignores
/// SIGTERM/SIGINT for its dispatch sources, and ignored signals survive exec), no inherited fds
/// beyond 0-2, and a small fixed environment. Children run in the namespace of the calling thread.
public enum ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not
    /// declare; looked up at run time. Without it, children still get no fds the daemon opened with O_CLOEXEC.
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let addCloseFrom: AddCloseFrom? = {
        guard let sym = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(sym, to: AddCloseFrom.self)
    }()

    /// What a finished command printed and how it ended.
    public struct Output: Sendable, CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var ok: Bool { status == 0 }
        public var description: String { "exit \(status): \(stderr.isEmpty ? stdout : stderr)" }
    }

    /// The environment children get.
    public static let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// The absolute path of `program`, searched in $PATH and the sbin directories; nil when absent.
    public static func find(_ program: String) -> String? {
        if program.hasPrefix("/") { return access(program, X_OK) == 0 ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for d in dirs where access(d + "/" + program, X_OK) == 0 { return d + "/" + program }
        return nil
    }

    /// Starts `path` with `arguments`; stdin from `stdinPath` (default /dev/null), stdout and stderr
    /// appended to `logPath` (default /dev/null). Returns the pid; the caller must reap it.
    public static func spawn(_ path: String, _ arguments: [String], stdinPath: String = "/dev/null",
                             stdoutPath: String? = nil, logPath: String? = nil) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        let out = stdoutPath ?? logPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_addopen(&actions, 2, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o640)
        if let closeFrom = ChildProcess.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) }; for e in envp { free(e) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SystemError("start \(path)", errno: rc) }
        return pid
    }

    /// Runs `path` to completion (at most `timeout` seconds, then SIGKILL and status 124), feeding
    /// `input` on stdin; returns its output. For short commands such as `nft -f -`.
    public static func run(_ path: String, _ arguments: [String], input: String? = nil, timeout: Double = 20) throws(SystemError) -> Output {
        let base = NSTemporaryDirectory() + "tapestry-\(getpid())-\(UUID().uuidString)"
        defer { unlink(base + ".in"); unlink(base + ".out"); unlink(base + ".err") }
        if let input {
            guard FileManager.default.createFile(atPath: base + ".in", contents: Data(input.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw SystemError("write \(base).in", errno: errno)
            }
        }
        let pid = try spawn(path, arguments, stdinPath: input == nil ? "/dev/null" : base + ".in",
                            stdoutPath: base + ".out", logPath: base + ".err")
        let status = wait(pid, timeout: timeout)
        let o = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let e = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return Output(status: status, stdout: o, stderr: e)
    }

    /// Waits for `pid` to end (SIGKILL after `timeout`); returns its exit status, 128+signal, or 124 on timeout.
    public static func wait(_ pid: pid_t, timeout: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return exitCode(status) }
            if r < 0 && errno != EINTR { return 127 }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return 124
            }
            usleep(2_000)
        }
    }

    /// A wait status as a shell would show it: the exit code, or 128 + the signal.
    public static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Whether `pid` runs `program` with an argument containing `marker` (checked through
    /// /proc/PID/cmdline), so that a pid from a stale pid file is never someone else's process.
    public static func isRunning(_ pid: pid_t, marker: String) -> Bool {
        ProcessControl.isAlive(pid, marker: marker, reap: false)
    }
}
