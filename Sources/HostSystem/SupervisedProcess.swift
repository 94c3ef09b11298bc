import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One external daemon run in the foreground under supervision (dnsmasq, radvd): started with
/// `ChildProcess.spawn`, its pid tracked, reaped by a watcher thread of its own, restarted when
/// it dies (after 0.25 s, doubling while it keeps dying within `stableAfter` seconds of a start,
/// at most `maxDelay`), signalled by pid, and stopped by pid (SIGTERM, SIGKILL after a grace time).
public final class SupervisedProcess: @unchecked Sendable {
    /// What to run.
    public struct Spec: Sendable, Equatable {
        /// For logs: `dnsmasq of network default`.
        public var label: String
        public var path: String
        public var arguments: [String]
        /// Where its stdout and stderr go (appended).
        public var logPath: String?

        public init(label: String, path: String, arguments: [String], logPath: String?) {
            self.label = label; self.path = path; self.arguments = arguments; self.logPath = logPath
        }
    }

    public static let firstDelay = 0.25
    public static let maxDelay = 30.0
    public static let stableAfter = 10.0

    public let spec: Spec
    private let log: Logger
    private let cond = NSCondition()
    private var pid: pid_t = 0
    private var stopping = false
    private var exits = 0
    private var restarts = 0
    private var quickDeaths = 0
    private var lastStart = Date()
    private var lastStatus: Int32?

    /// Starts the process; throws when it cannot be spawned or exits within `settle` seconds
    /// (a bad configuration), with the end of its log in the message.
    public init(_ spec: Spec, logger: Logger, settle: Double = 0.3) throws {
        self.spec = spec
        self.log = logger
        pid = try ChildProcess.spawn(spec.path, spec.arguments, logPath: spec.logPath)
        lastStart = Date()
        log.info("\(spec.label): started pid \(pid)")
        let watcher = Thread { [self] in watch() }
        watcher.name = "tapestry-supervise"
        watcher.start()
        cond.lock()
        let deadline = Date().addingTimeInterval(settle)
        while exits == 0 && Date() < deadline { _ = cond.wait(until: deadline) }
        let died = exits > 0
        let status = lastStatus
        if died { stopping = true; cond.broadcast() }
        cond.unlock()
        if died {
            let tail = spec.logPath.flatMap { SupervisedProcess.tail(of: $0) } ?? ""
            throw SystemError("start \(spec.label)", cause: "exited at once with status \(status ?? -1)\(tail.isEmpty ? "" : ": " + tail)")
        }
    }

    deinit { stop() }

    /// The running process's pid, or nil between a death and its restart (or after stop).
    public var currentPID: pid_t? {
        cond.lock(); defer { cond.unlock() }
        return pid > 0 ? pid : nil
    }

    /// How many times it was restarted after dying.
    public var restartCount: Int {
        cond.lock(); defer { cond.unlock() }
        return restarts
    }

    /// Sends `sig` (e.g. SIGHUP) to the running process; false when none runs.
    @discardableResult
    public func send(_ sig: Int32) -> Bool {
        cond.lock(); defer { cond.unlock() }
        guard pid > 0, !stopping else { return false }
        return kill(pid, sig) == 0
    }

    /// Stops supervising and ends the process: SIGTERM, then SIGKILL after `grace` seconds.
    /// Returns when the process has been reaped. Idempotent.
    public func stop(grace: Double = 3) {
        cond.lock()
        stopping = true
        cond.broadcast()
        let target = pid
        cond.unlock()
        guard target > 0 else { return }
        // The watcher thread reaps it (reap: false); then it clears `pid`.
        if ProcessControl.terminate(target, grace: grace, reap: false) == .killed {
            log.warning("\(spec.label): pid \(target) ignored SIGTERM; killed it")
        }
        cond.lock()
        let hard = Date().addingTimeInterval(2)
        while pid == target && Date() < hard { _ = cond.wait(until: hard) }
        cond.unlock()
    }

    // MARK: - watcher

    private func watch() {
        while true {
            cond.lock()
            let current = pid
            cond.unlock()
            if current > 0 {
                var status: Int32 = 0
                var r: pid_t
                repeat { r = waitpid(current, &status, 0) } while r < 0 && errno == EINTR
                cond.lock()
                pid = 0
                exits += 1
                lastStatus = r == current ? ChildProcess.exitCode(status) : -1
                cond.broadcast()
                if stopping { cond.unlock(); return }
                let lived = Date().timeIntervalSince(lastStart)
                quickDeaths = lived < SupervisedProcess.stableAfter ? quickDeaths + 1 : 1
                cond.unlock()
                log.warning("\(spec.label): pid \(current) exited with status \(lastStatus ?? -1) after \(String(format: "%.1f", lived)) s")
            }
            // Back off, then start it again unless stopped meanwhile.
            cond.lock()
            let delay = min(SupervisedProcess.firstDelay * pow(2, Double(max(0, quickDeaths - 1))), SupervisedProcess.maxDelay)
            let deadline = Date().addingTimeInterval(delay)
            while !stopping && Date() < deadline { _ = cond.wait(until: deadline) }
            if stopping { cond.unlock(); return }
            do {
                pid = try ChildProcess.spawn(spec.path, spec.arguments, logPath: spec.logPath)
                lastStart = Date()
                restarts += 1
                log.info("\(spec.label): restarted as pid \(pid) (restart \(restarts), after \(String(format: "%.2f", delay)) s)")
            } catch {
                quickDeaths += 1
                log.error("\(spec.label): \(error)")
            }
            cond.unlock()
        }
    }

    /// The last line or two of a log file, for error messages.
    static func tail(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").suffix(2).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.joined(separator: "; ")
    }
}
