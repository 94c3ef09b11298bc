import ControlProtocol
import Foundation
import HostSystem
import TestSupport

/// Helpers for the observability tests: background CLI runs (capture, events --follow), a daemon
/// with `--metrics`, raw frames from a VM namespace, and reading pcap files back with tcpdump.
extension NetnsWorld {
    /// Runs `tapestry ARGS` against `d` in the background (in the daemon's namespace), its stdout
    /// and stderr to files; returns the pid (killed by `close()` if still running) and the files.
    func backgroundCLI(_ d: Daemon, _ args: [String], name: String) -> (pid: Int32, stdout: String, stderr: String) {
        let out = "\(tempDirectory)/\(name).out", err = "\(tempDirectory)/\(name).err"
        let cmd = "exec \(NetnsWorld.binDirectory)/tapestry --socket \(d.socket) "
            + args.map(Shell.quote).joined(separator: " ") + " >\(out) 2>\(err)"
        return (spawn(d.namespace, cmd), out, err)
    }

    /// Waits at most `timeout` seconds for `pid` to exit; true when it did.
    func waitExit(_ pid: Int32, timeout: Double = 10) -> Bool {
        ProcessControl.waitGone(pid, seconds: timeout)
    }

    /// Sends `count` broadcast frames out of `interface` in `ns`, the i-th from source MAC 02:00:00:00:<tag>:<i>
    /// (Python, AF_PACKET).
    func sendFromMACs(_ ns: String, _ interface: String, count: Int, tag: UInt8 = 0x10) -> Shell.Output {
        let script = """
            import socket
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(("\(interface)", 0))
            for i in range(1, \(count) + 1):
                src = bytes([0x02, 0, 0, 0, \(tag), i])
                s.send(b"\\xff" * 6 + src + b"\\x88\\xb5" + bytes(46))
            """
        let file = "\(tempDirectory)/send-\(UUID().uuidString).py"
        try? script.write(toFile: file, atomically: true, encoding: .utf8)
        return exec(ns, "python3 \(file)")
    }

    /// `tcpdump -r FILE -nn -e` lines (one per frame).
    func readPcap(_ file: String) -> (lines: [String], output: Shell.Output) {
        let out = Shell.run("tcpdump -r \(Shell.quote(file)) -nn -e 2>/dev/null")
        return (out.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }, out)
    }

    /// The MAC address of `interface` in `ns`.
    func mac(_ ns: String, _ interface: String) -> String {
        exec(ns, "cat /sys/class/net/\(interface)/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An HTTP GET of `url` from inside `ns` (python3 urllib): the status and the body.
    func httpGet(_ ns: String, _ url: String, method: String = "GET") -> (status: Int, body: String) {
        let script = """
            import sys, urllib.request, urllib.error
            req = urllib.request.Request("\(url)", method="\(method)")
            try:
                r = urllib.request.urlopen(req, timeout=5)
                print(r.status); sys.stdout.write(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); sys.stdout.write(e.read().decode())
            """
        let file = "\(tempDirectory)/get-\(UUID().uuidString).py"
        try? script.write(toFile: file, atomically: true, encoding: .utf8)
        let out = exec(ns, "python3 \(file)", timeout: 15)
        let lines = out.stdout.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = lines.first, let status = Int(first) else { return (0, out.description) }
        return (status, lines.count > 1 ? String(lines[1]) : "")
    }
}

extension NetnsWorld.Daemon {
    /// How many `kind` events the daemon keeps.
    func eventCount(_ kind: String) -> Int {
        let out = cli("--format", "json", "events")
        return out.stdout.split(separator: "\n").filter { $0.contains("\"kind\":\"\(kind)\"") }.count
    }

    /// Waits until the daemon recorded more than `before` `capture-started` events (a capture is live).
    func waitCaptureStarted(after before: Int, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if eventCount("capture-started") > before { usleep(100_000); return true }
            usleep(50_000)
        }
        return false
    }

    /// Capture reader sockets left in the run directory.
    var leftoverCaptureSockets: [String] {
        let dir = (socket as NSString).deletingLastPathComponent
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("capture-") }
    }
}

/// A tapestryd started with `--metrics` (NetnsWorld's daemons take no extra options).
final class MetricsDaemon {
    let world: NetnsWorld
    let namespace: String
    let directory: String
    let endpoint: String
    private(set) var pid: Int32 = -1
    var socket: String { directory + "/run/tapestryd.sock" }

    init(world: NetnsWorld, namespace: String, endpoint: String = "127.0.0.1:9420") throws {
        self.world = world; self.namespace = namespace; self.endpoint = endpoint
        directory = world.tempDirectory + "/metrics-daemon"
        let bin = NetnsWorld.binDirectory
        pid = world.spawn(namespace, "exec \(bin)/tapestryd --run-dir \(directory)/run --state-dir \(directory)/state "
                          + "--metrics \(endpoint) --log-level debug >>\(directory).log 2>&1")
        for _ in 0..<100 {
            if cli("list-br").ok { return }
            usleep(50_000)
        }
        throw TestWorldError("tapestryd --metrics did not come up in \(namespace); log:\n\(log)")
    }

    @discardableResult
    func cli(_ args: String...) -> Shell.Output {
        Shell.run("ip netns exec \(namespace) \(NetnsWorld.binDirectory)/tapestry --socket \(socket) "
                  + args.map(Shell.quote).joined(separator: " "))
    }

    var log: String { (try? String(contentsOfFile: directory + ".log", encoding: .utf8)) ?? "" }

    /// SIGTERM and wait (the world SIGKILLs it on close if still there).
    func stop() {
        guard pid > 0 else { return }
        ProcessControl.terminate(pid, grace: 5)
        pid = -1
    }

    /// The samples of the exposition: `name{labels}` → value.
    static func samples(_ text: String) -> [String: Double] {
        var d: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            d[String(line[..<space])] = v
        }
        return d
    }
}
