import Foundation
import HostSystem

/// A little world of network namespaces for one integration test: namespaces for simulated
/// hosts (each may run its own tapestryd) and for VMs, veth links between them. Every name
/// carries a unique prefix; `close()` (also run on deinit) kills the daemons it started by pid
/// and deletes every namespace it made, so a failing test leaves nothing behind.
public final class NetnsWorld: @unchecked Sendable {
    /// Whether this process can build worlds (root, with `ip netns`).
    public static var isAvailable: Bool { getuid() == 0 && Shell.run("ip netns list").ok }

    /// Where tapestryd and tapestry are: $TAPESTRY_BIN_DIR, else beside the test binary.
    public static var binDirectory: String {
        if let d = ProcessInfo.processInfo.environment["TAPESTRY_BIN_DIR"] { return d }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tapestryd").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.path
    }

    public let prefix: String
    public let tempDirectory: String
    private var namespaces: [String] = []
    private var daemons: [Daemon] = []
    private var extraPids: [Int32] = []
    private var closed = false

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// The process-unique start of every name a test world or a topology lab under test makes:
    /// `tp<pid>-<n>`, `n` counting the worlds and labs of this process (shared, so that suites
    /// running in parallel never get the same one; the dashes keep one from being the start of
    /// another's, e.g. process 12 lab 34 and process 123 world 4).
    public static func uniquePrefix() -> String {
        let n = NetnsWorld.counterLock.withLock { NetnsWorld.counter += 1; return NetnsWorld.counter }
        return "tp\(getpid())-\(n)"
    }

    /// `tag` (a few letters) makes namespace names readable: `tp<pid>-<n>-<tag>-<name>`.
    public init(_ tag: String) {
        prefix = NetnsWorld.uniquePrefix() + "-" + tag
        tempDirectory = NSTemporaryDirectory() + "tapestry-test-" + prefix
        try? FileManager.default.removeItem(atPath: tempDirectory)
        try? FileManager.default.createDirectory(atPath: tempDirectory, withIntermediateDirectories: true)
    }

    deinit { close() }

    /// Creates namespace `<prefix>-<name>` with lo up; returns its full name.
    @discardableResult
    public func namespace(_ name: String) -> String {
        let full = "\(prefix)-\(name)"
        Shell.run("ip netns del \(full) 2>/dev/null; ip netns add \(full) && ip -n \(full) link set lo up")
        namespaces.append(full)
        return full
    }

    /// Runs a shell command inside namespace `ns`.
    @discardableResult
    public func exec(_ ns: String, _ command: String, timeout: Double = 60) -> Shell.Output {
        Shell.run("ip netns exec \(ns) sh -c \(Shell.quote(command))", timeout: timeout)
    }

    /// A veth pair: `a` in namespace `nsA`, `b` in `nsB` (both up, no addresses).
    public func veth(_ a: String, in nsA: String, _ b: String, in nsB: String) {
        Shell.run("ip link add \(a) netns \(nsA) type veth peer name \(b) netns \(nsB) && ip -n \(nsA) link set \(a) up && ip -n \(nsB) link set \(b) up")
    }

    /// Pings `address` from `ns`; true when at least one of `count` replies came back.
    public func ping(from ns: String, _ address: String, count: Int = 3, wait: Double = 1) -> Bool {
        exec(ns, "ping -c \(count) -i 0.2 -W \(wait) \(address)", timeout: Double(count) * (wait + 0.5) + 5).ok
    }

    /// Starts a tapestryd inside namespace `ns` with its own run and state directories; `arguments`
    /// are further tapestryd options (e.g. `--datapath-threads 2`), kept for restarts.
    /// With `recordsExit`, a shell waits for it and keeps how it ended (`Daemon.exitStatus`).
    public func startDaemon(in ns: String, name: String = "d", arguments: [String] = [], recordsExit: Bool = false) throws -> Daemon {
        let d = Daemon(world: self, namespace: ns, directory: "\(tempDirectory)/\(name)", arguments: arguments,
                       recordsExit: recordsExit)
        try d.start()
        daemons.append(d)
        return d
    }

    /// Starts a background command in `ns` and remembers its pid for cleanup. The command leads a
    /// process group of its own (`setsid`: the background job is no group leader, so it does not
    /// fork and `$!` stays its pid), so `close()` also ends what its shell started: `sh -c` keeps a
    /// single command as its child, and killing only the shell left e.g. a dnsmasq running after its
    /// namespace was deleted.
    public func spawn(_ ns: String, _ command: String) -> Int32 {
        let out = Shell.run("setsid ip netns exec \(ns) sh -c \(Shell.quote(command)) >/dev/null 2>&1 & echo $!")
        let pid = Int32(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        if pid > 0 { extraPids.append(pid) }
        return pid
    }

    /// Captures on `interface` in `ns` with a tcpdump `filter` while `body` runs; returns the
    /// decoded lines (one per frame, with link-level headers, so 802.1Q tags show as `vlan N`).
    public func capture(_ ns: String, _ interface: String, filter: String, _ body: () -> Void) -> [String] {
        let file = "\(tempDirectory)/cap-\(UUID().uuidString).txt"
        let pid = spawn(ns, "exec timeout 60 tcpdump -i \(interface) -nn -e -l -Q in \(filter) > \(file) 2>/dev/null")
        // Wait for tcpdump to attach (its pcap socket appears in /proc/net/packet of the namespace).
        usleep(600_000)
        body()
        usleep(300_000)
        if pid > 0 { kill(pid, SIGTERM) }
        usleep(100_000)
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Kills what this world started (by pid) and deletes its namespaces.
    public func close() {
        guard !closed else { return }
        closed = true
        for d in daemons { d.stop() }
        for pid in extraPids { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        for ns in namespaces.reversed() { Shell.run("ip netns del \(ns) 2>/dev/null") }
        try? FileManager.default.removeItem(atPath: tempDirectory)
    }

    /// One tapestryd under test.
    public final class Daemon: @unchecked Sendable {
        public let namespace: String
        public let directory: String
        public var socket: String { directory + "/run/tapestryd.sock" }
        public private(set) var pid: Int32 = -1
        /// Further tapestryd options.
        public let arguments: [String]
        /// Whether a shell waits for the daemon and writes its exit status to `<directory>.exit`.
        public let recordsExit: Bool
        unowned let world: NetnsWorld

        init(world: NetnsWorld, namespace: String, directory: String, arguments: [String] = [], recordsExit: Bool = false) {
            self.world = world; self.namespace = namespace; self.directory = directory; self.arguments = arguments
            self.recordsExit = recordsExit
        }

        /// Starts the daemon and waits until its socket answers.
        public func start() throws {
            let bin = NetnsWorld.binDirectory
            let launch = "ip netns exec \(namespace) \(bin)/tapestryd --run-dir \(directory)/run --state-dir \(directory)/state --log-level debug \(arguments.map(Shell.quote).joined(separator: " ")) >>\(directory).log 2>&1"
            if recordsExit {
                // `ip netns exec` execs tapestryd: $! is its pid, and `wait` gives its exit status
                // (128 + N when signal N ended it).
                let pidFile = directory + ".pid", exitFile = directory + ".exit"
                Shell.run("rm -f \(pidFile) \(exitFile); ( \(launch) & echo $! >\(pidFile); wait $!; echo $? >\(exitFile) ) </dev/null >/dev/null 2>&1 &")
                pid = -1
                for _ in 0..<200 where pid <= 0 {
                    pid = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
                    if pid <= 0 { usleep(10_000) }
                }
            } else {
                let out = Shell.run(launch + " & echo $!")
                pid = Int32(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            }
            for _ in 0..<100 {
                if cli("--format", "json", "list-br").ok { return }
                usleep(50_000)
            }
            throw TestWorldError("tapestryd did not come up in \(namespace); log:\n\(log)")
        }

        /// Runs the CLI against this daemon (inside its namespace).
        @discardableResult
        public func cli(_ args: String...) -> Shell.Output { cli(args) }

        @discardableResult
        public func cli(_ args: [String]) -> Shell.Output {
            let bin = NetnsWorld.binDirectory
            return Shell.run("ip netns exec \(namespace) \(bin)/tapestry --socket \(socket) " + args.map(Shell.quote).joined(separator: " "))
        }

        /// Decodes `--format json` output of a CLI command.
        public func json<T: Decodable>(_ type: T.Type, _ args: String...) throws -> T {
            let out = cli(["--format", "json"] + args)
            guard out.ok else { throw TestWorldError("tapestry \(args.joined(separator: " ")) failed: \(out)") }
            return try JSONDecoder().decode(T.self, from: Data(out.stdout.utf8))
        }

        /// SIGKILL, as a crash would.
        public func kill9() {
            if pid > 0 { kill(pid, SIGKILL); _ = ProcessControl.waitGone(pid, seconds: 2) }
            pid = -1
        }

        /// SIGTERM and wait for a clean exit (SIGKILL after 5 s).
        public func stop() {
            ProcessControl.terminate(pid, grace: 5)
            pid = -1
        }

        public var isAlive: Bool { ProcessControl.isAlive(pid) }

        /// How the daemon ended (exit status, 128 + N for signal N); nil while it runs or when its
        /// exit is not recorded (`recordsExit`).
        public var exitStatus: Int32? {
            guard let text = try? String(contentsOfFile: directory + ".exit", encoding: .utf8) else { return nil }
            return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }

        /// SIGTERM (SIGKILL after `grace` s), then the recorded exit status (nil when not recorded).
        public func stopAndWaitForExit(grace: Double = 10) -> Int32? {
            ProcessControl.terminate(pid, grace: grace)
            pid = -1
            for _ in 0..<200 {
                if let s = exitStatus { return s }
                usleep(10_000)
            }
            return exitStatus
        }

        public var log: String { (try? String(contentsOfFile: directory + ".log", encoding: .utf8)) ?? "" }
    }
}

/// A failure setting up a test world.
public struct TestWorldError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
