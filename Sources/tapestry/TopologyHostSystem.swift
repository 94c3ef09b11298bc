import ControlProtocol
import Foundation
import HostSystem
import Topology
#if canImport(Glibc)
import Glibc
#endif

/// The lab plumbing of topology files, all through iproute2 inside the lab's own namespaces:
/// namespaces, veth links, addresses, a lab daemon per host. Nothing here touches the root
/// namespace's interfaces, addresses, routes or sysctls.
struct LabSystem {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    let ipPath: String

    init() throws(Failure) {
        guard let ip = ChildProcess.find("ip") else { throw Failure("iproute2's ip is not installed") }
        ipPath = ip
    }

    /// Runs `ip ARGS`; throws its stderr when it fails.
    @discardableResult
    func ip(_ args: [String], timeout: Double = 20) throws(Failure) -> String {
        let out: ChildProcess.Output
        do { out = try ChildProcess.run(ipPath, args, timeout: timeout) } catch { throw Failure("ip \(args.joined(separator: " ")): \(error)") }
        guard out.ok else {
            let why = out.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure("ip \(args.joined(separator: " ")): \(why.isEmpty ? "exit \(out.status)" : why)")
        }
        return out.stdout
    }

    /// Runs a program inside namespace `ns` (`ip netns exec`).
    @discardableResult
    func exec(_ ns: String, _ program: [String], timeout: Double = 20) throws(Failure) -> String {
        try ip(["netns", "exec", ns] + program, timeout: timeout)
    }

    func namespaces() -> Set<String> {
        let text = (try? ip(["netns", "list"])) ?? ""
        return Set(text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    // ip netns add NS ; ip -n NS link set lo up
    func createNamespace(_ ns: String) throws(Failure) {
        try ip(["netns", "add", ns])
        try ip(["-n", ns, "link", "set", "lo", "up"])
    }

    /// Ends every process still inside `ns` (by pid: SIGTERM, then SIGKILL), then deletes it.
    func deleteNamespace(_ ns: String) throws(Failure) {
        let pids = ((try? ip(["netns", "pids", ns])) ?? "").split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        for pid in pids { kill(pid, SIGTERM) }
        for _ in 0..<50 where pids.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) { usleep(100_000) }
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try ip(["netns", "del", ns])
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.contains(") Z ")
    }

    /// IPv4 addresses per interface in `ns` (`ip -j -4 addr show`).
    func addresses(in ns: String) -> [String: [String]] {
        guard let text = try? ip(["-j", "-n", ns, "-4", "addr", "show"]),
              let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [:] }
        var out: [String: [String]] = [:]
        for l in list {
            guard let name = l["ifname"] as? String else { continue }
            let infos = l["addr_info"] as? [[String: Any]] ?? []
            out[name] = infos.compactMap { i in
                guard let a = i["local"] as? String, let p = i["prefixlen"] as? Int else { return nil }
                return "\(a)/\(p)"
            }
        }
        return out
    }

    func interfaces(in ns: String) -> Set<String> {
        guard let text = try? ip(["-j", "-n", ns, "link", "show"]),
              let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [] }
        return Set(list.compactMap { $0["ifname"] as? String })
    }

    func defaultGateway(in ns: String) -> String? {
        guard let text = try? ip(["-j", "-n", ns, "-4", "route", "show", "default"]),
              let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return nil }
        return list.first?["gateway"] as? String
    }

    func forwarding(in ns: String) -> Bool {
        ((try? exec(ns, ["cat", "/proc/sys/net/ipv4/ip_forward"])) ?? "").hasPrefix("1")
    }

    // MARK: - lab daemons

    /// tapestryd: $TAPESTRYD, else beside this tapestry binary, else in $PATH.
    static func daemonPath() -> String? {
        if let p = ProcessInfo.processInfo.environment["TAPESTRYD"], !p.isEmpty { return p }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tapestryd").path
        if access(exe, X_OK) == 0 { return exe }
        return ChildProcess.find("tapestryd")
    }

    /// Starts tapestryd in the host's namespace and waits until its socket answers; returns its pid.
    func startDaemon(_ h: LabHost, directory: String) throws(Failure) -> Int32 {
        guard let ns = h.namespace, let run = h.runDirectory, let state = h.stateDirectory else { throw Failure("host \(h.name) is not a lab host") }
        guard let daemon = LabSystem.daemonPath() else { throw Failure("tapestryd not found (set $TAPESTRYD)") }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw Failure("could not create \(directory): \(error.localizedDescription)")
        }
        let pid: Int32
        do {
            pid = try ChildProcess.spawn(ipPath, ["netns", "exec", ns, daemon, "--run-dir", run, "--state-dir", state],
                                         logPath: directory + "/tapestryd.log")
        } catch { throw Failure("could not start tapestryd: \(error)") }
        let client = ControlClient(socketPath: h.socketPath, timeoutSeconds: 2)
        for _ in 0..<150 {
            if (try? client.call(Methods.Version.self, Empty())) != nil { return pid }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(50_000)
        }
        stopDaemon(pid: pid, marker: state)
        let log = (try? String(contentsOfFile: directory + "/tapestryd.log", encoding: .utf8)) ?? ""
        throw Failure("tapestryd did not come up in \(ns): \(log.split(separator: "\n").suffix(3).joined(separator: " | "))")
    }

    /// SIGTERM (the daemon removes its taps and helpers), SIGKILL after 5 s; only if `pid` is the
    /// tapestryd started with `marker` (its state directory) on its command line.
    func stopDaemon(pid: Int32, marker: String) {
        guard ChildProcess.isRunning(pid, marker: marker) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where ChildProcess.isRunning(pid, marker: marker) {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            usleep(50_000)
        }
        if ChildProcess.isRunning(pid, marker: marker) { kill(pid, SIGKILL) }
    }

    /// The udhcpc hook nodes use: applies the lease in the node's namespace only (no resolv.conf).
    static let dhcpScript = """
        #!/bin/sh
        # tapestry lab node DHCP hook: address and default route in this namespace only.
        case "$1" in
          bound|renew)
            ip addr flush dev "$interface" scope global
            ip addr add "$ip/${mask:-24}" dev "$interface"
            if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
            ;;
        esac
        exit 0

        """
}
