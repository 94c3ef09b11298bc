import ControlProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry doctor`'s look at the daemon (socket, running, version) and at every port's netdev
/// (present, in the right namespace, up, offloads).
struct DaemonProbe {
    let socketPath: String

    /// What was learnt about the daemon, for the port checks.
    struct Daemon {
        var version: String
        var pid: Int32
        var show: ShowResult
    }

    func daemon(into out: inout [DoctorFinding]) -> Daemon? {
        let area = "daemon"
        var st = stat()
        if stat(socketPath, &st) != 0 {
            out.append(.problem(area, "socket", "no control socket at \(socketPath) (\(describeErrno(errno)))",
                                fix: "start tapestryd (systemctl start tapestryd), or name its socket with --socket"))
            return nil
        }
        let mode = st.st_mode & 0o777
        if (st.st_mode & S_IFMT) != S_IFSOCK {
            out.append(.problem(area, "socket", "\(socketPath) is not a socket", fix: "remove it and restart tapestryd"))
            return nil
        }
        let group = getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(st.st_gid)"
        if mode & 0o007 != 0 || st.st_uid != 0 {
            out.append(.problem(area, "socket permissions", "\(socketPath) is mode 0\(String(mode, radix: 8)) owner uid \(st.st_uid): wider than 0660 root:\(group)",
                                fix: "restart tapestryd (it creates the socket 0660 root:<socket group>)"))
        } else {
            out.append(.ok(area, "socket permissions", "\(socketPath) mode 0\(String(mode, radix: 8)) root:\(group)"))
        }
        let client = ControlClient(socketPath: socketPath, timeoutSeconds: 5)
        let version: VersionInfo
        do { version = try client.call(Methods.Version.self, Empty()) } catch {
            let fix: String
            switch error {
            case .notRunning: fix = "start tapestryd (systemctl start tapestryd); a stale socket file is replaced when it starts"
            case .connectFailed: fix = "run as root or as a member of the socket's group '\(group)'"
            default: fix = "look at tapestryd's log (journalctl -u tapestryd)"
            }
            out.append(.problem(area, "running", error.description, fix: fix))
            return nil
        }
        out.append(.ok(area, "running", "tapestryd \(version.version) answers (pid \(version.pid))"))
        if version.version == Tapestry.version {
            out.append(.ok(area, "version", "tapestry and tapestryd are both \(version.version)"))
        } else {
            out.append(.problem(area, "version", "tapestry is \(Tapestry.version) but tapestryd is \(version.version)",
                                fix: "install the same version of both (the package ships them together), then restart tapestryd"))
        }
        let show: ShowResult
        do { show = try client.call(Methods.Show.self, ShowParams(bridge: nil)) } catch {
            out.append(.problem(area, "show", error.description, fix: "look at tapestryd's log (journalctl -u tapestryd)"))
            return nil
        }
        return Daemon(version: version.version, pid: version.pid, show: show)
    }

    /// The netdevs of every namespace the ports live in: name → (flags, operstate).
    struct Link { var up: Bool; var operstate: String }

    /// Checks each port's netdev where it should be.
    func ports(of d: Daemon, into out: inout [DoctorFinding]) {
        // The daemon's namespace: ours when /proc/<pid>/ns/net is the same, else entered with nsenter.
        let sameNamespace = DaemonProbe.sameNetworkNamespace(pid: d.pid)
        var cache: [String: [String: Link]?] = [:]
        func links(in netns: String?) -> [String: Link]? {
            let key = netns ?? ""
            if let hit = cache[key] { return hit }
            var args: [String]
            if let netns { args = ["ip", "-n", netns, "-j", "link", "show"] }
            else if sameNamespace != false { args = ["ip", "-j", "link", "show"] }
            else { args = ["nsenter", "-t", String(d.pid), "-n", "ip", "-j", "link", "show"] }
            guard let exe = HostProbe.findInPATH(args[0]) else { cache[key] = .some(nil); return nil }
            let r = HostProbe.run(exe, Array(args.dropFirst()))
            guard r.status == 0, let data = r.text.data(using: .utf8),
                  let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { cache[key] = .some(nil); return nil }
            var m: [String: Link] = [:]
            for l in list {
                guard let name = l["ifname"] as? String else { continue }
                let flags = l["flags"] as? [String] ?? []
                m[name] = Link(up: flags.contains("UP"), operstate: l["operstate"] as? String ?? "?")
            }
            cache[key] = .some(m)
            return m
        }
        if d.show.bridges.isEmpty { out.append(.ok("ports", "bridges", "no bridges configured")) }
        for b in d.show.bridges {
            for p in b.ports {
                let area = "port \(b.name)/\(p.config.name)"
                let name = p.config.name
                if p.state == "error" {
                    out.append(.problem(area, "state", "tapestryd reports an error: \(p.error ?? "unknown")",
                                        fix: "tapestry show \(b.name) for details; tapestry del-port \(b.name) \(name) and add it again"))
                    continue
                }
                guard [.tap, .internal, .system].contains(p.config.type) else {
                    out.append(.ok(area, "state", "\(p.config.type.rawValue) port, \(p.state)"))
                    continue
                }
                let expected = p.config.type == .tap ? p.config.netns : nil
                let whereText = expected.map { "namespace \($0)" } ?? "tapestryd's namespace"
                guard let here = links(in: expected) else {
                    out.append(.warning(area, "netdev", "cannot list the links of \(whereText)", fix: "run doctor as root, in tapestryd's namespace"))
                    continue
                }
                guard let link = here[name] else {
                    var detail = "netdev \(name) is missing from \(whereText) (deleted behind tapestryd's back?)"
                    if expected != nil, let home = links(in: nil), home[name] != nil {
                        detail = "netdev \(name) is in tapestryd's namespace, not in namespace \(expected ?? "")"
                    }
                    let fix = p.config.type == .system
                        ? "bring the netdev back, or tapestry del-port \(b.name) \(name)"
                        : "tapestry del-port \(b.name) \(name), then add-port it again (or restart tapestryd, which re-creates the taps it owns)"
                    out.append(.problem(area, "netdev", detail, fix: fix))
                    continue
                }
                out.append(.ok(area, "netdev", "\(name) present in \(whereText)"))
                if link.up {
                    out.append(.ok(area, "up", "\(name) is up (operstate \(link.operstate))"))
                } else if p.config.type == .internal && name == b.name {
                    out.append(.ok(area, "up", "\(name) is down (a bridge's local port starts down: ip link set \(name) up to use it)"))
                } else {
                    let ns = expected.map { "-n \($0) " } ?? ""
                    out.append(.warning(area, "up", "\(name) is down", fix: "ip \(ns)link set \(name) up (inside the VM for a tap it owns)"))
                }
                if p.config.type == .tap { out.append(offloads(name: name, netns: expected, sameNamespace: sameNamespace, pid: d.pid, area: area)) }
            }
        }
    }

    /// The tap's offloads as ethtool shows them: with vnet headers the kernel may hand over
    /// unchecksummed and large frames, which tapestryd handles; reported for the record.
    private func offloads(name: String, netns: String?, sameNamespace: Bool?, pid: Int32, area: String) -> DoctorFinding {
        guard let ethtool = HostProbe.findInPATH("ethtool") else {
            return .warning(area, "offloads", "ethtool not found: offloads not checked", fix: "apt install ethtool")
        }
        var args = [ethtool, "-k", name]
        if let netns, let ip = HostProbe.findInPATH("ip") { args = [ip, "netns", "exec", netns] + args }
        else if netns == nil, sameNamespace == false, let nsenter = HostProbe.findInPATH("nsenter") { args = [nsenter, "-t", String(pid), "-n"] + args }
        let r = HostProbe.run(args[0], Array(args.dropFirst()))
        guard r.status == 0 else {
            return .warning(area, "offloads", "ethtool -k \(name) failed: \(r.text)", fix: "check the netdev with ethtool -k \(name)")
        }
        let wanted = ["tx-checksumming", "scatter-gather", "tcp-segmentation-offload"]
        let states = r.text.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, wanted.contains(String(parts[0])) else { return nil }
            return "\(parts[0]) \(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")"
        }
        return .ok(area, "offloads", states.isEmpty ? "no offload information" : states.joined(separator: ", "))
    }

    /// Whether `pid`'s network namespace is ours; nil when it cannot be told (another pid namespace).
    static func sameNetworkNamespace(pid: Int32) -> Bool? {
        var mine = stat(), theirs = stat()
        guard stat("/proc/self/ns/net", &mine) == 0, stat("/proc/\(pid)/ns/net", &theirs) == 0 else { return nil }
        return mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev
    }
}
