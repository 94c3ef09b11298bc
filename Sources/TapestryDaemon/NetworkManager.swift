import ControlProtocol
import Foundation
import HostSystem
import Logging
import NetworkController
#if canImport(Glibc)
import Glibc
#endif

/// The host side of running libvirt-style networks, once the network's Tapestry bridge and its
/// internal port (named like the bridge) exist: the gateway addresses on that port, forwarding
/// sysctls, the nftables chains of the forward mode, and the supervised dnsmasq and radvd with
/// their files in `<state-dir>/networks/<name>/`. Every step is undone by `stop`, also when
/// `start` fails half way. Called under the daemon's lock.
final class NetworkManager {
    /// What runs for one network.
    final class Running {
        var def: NetworkDefinition
        var addresses: [String] = []
        var ruleset: String?
        var dnsmasq: SupervisedProcess?
        var dnsmasqConfig: String?
        var radvd: SupervisedProcess?
        var radvdConfig: String?
        init(def: NetworkDefinition) { self.def = def }
    }

    /// Where a network's files live.
    struct Paths {
        let directory: String
        var dnsmasqConfig: String { directory + "/dnsmasq.conf" }
        var dnsmasqPID: String { directory + "/dnsmasq.pid" }
        var dnsmasqLog: String { directory + "/dnsmasq.log" }
        var hostsFile: String { directory + "/dnsmasq.hostsfile" }
        var addnHostsFile: String { directory + "/dnsmasq.addnhosts" }
        var leases: String { directory + "/dnsmasq.leases" }
        var radvdConfig: String { directory + "/radvd.conf" }
        var radvdPID: String { directory + "/radvd.pid" }
        var radvdLog: String { directory + "/radvd.log" }
    }

    let stateDirectory: String
    let directory: String
    let log: Logger
    /// Who dnsmasq and radvd run as after dropping root: `dnsmasq` when that user exists, else `nobody`.
    let serviceUser: String
    /// radvd sends router advertisements, unless it is missing or $TAPESTRY_RA is `dnsmasq`.
    let useRadvd: Bool
    private(set) var running: [String: Running] = [:]

    init(stateDirectory: String, logger: Logger) {
        self.stateDirectory = stateDirectory
        directory = stateDirectory + "/networks"
        log = logger
        serviceUser = getpwnam("dnsmasq") != nil ? "dnsmasq" : "nobody"
        useRadvd = ProcessInfo.processInfo.environment["TAPESTRY_RA"] != "dnsmasq" && ChildProcess.find("radvd") != nil
    }

    func paths(_ name: String) -> Paths { Paths(directory: directory + "/" + name) }

    // MARK: - start and stop

    /// Realizes `def` on the host; on failure undoes what was done and throws the cause.
    func start(_ def: NetworkDefinition) throws {
        guard let port = def.bridge.name else { throw SystemError("start network \(def.name)", cause: "it has no bridge name") }
        if running[def.name] != nil { stop(def.name) }
        let r = Running(def: def)
        running[def.name] = r
        do {
            try prepareDirectory(def.name)
            try configureInterface(def, port: port, r)
            try setForwarding(def)
            try loadRuleset(def, r)
            try startDnsmasq(def, r)
            try startRadvd(def, r)
            log.info("network \(def.name): started on \(port) (\(def.forward.mode.rawValue))")
        } catch {
            stop(def.name)
            throw error
        }
    }

    /// Undoes everything `start` did for network `name`. Never throws; problems are logged.
    func stop(_ name: String) {
        guard let r = running.removeValue(forKey: name) else { return }
        let p = paths(name)
        r.radvd?.stop()
        r.dnsmasq?.stop()
        for f in [p.dnsmasqPID, p.radvdPID, p.dnsmasqConfig, p.radvdConfig] { unlink(f) }
        if let port = r.def.bridge.name, !r.addresses.isEmpty, let nl = try? Netlink() {
            for a in r.addresses {
                do { try nl.deleteAddress(a, from: port) } catch { log.warning("network \(name): \(error)") }
            }
        }
        if r.ruleset != nil { unloadRuleset(r.def) }
        log.info("network \(name): stopped")
    }

    /// Stops every running network (daemon shutdown).
    func stopAll() {
        for name in running.keys.sorted() { stop(name) }
    }

    /// Removes the network's files (net-undefine).
    func removeFiles(_ name: String) {
        guard running[name] == nil else { return }
        try? FileManager.default.removeItem(atPath: paths(name).directory)
    }

    // MARK: - live changes

    /// Brings a running network to `next` without restarting it where possible: only the DHCP
    /// hosts or DNS hosts changed → rewrite those files and SIGHUP dnsmasq; dnsmasq's config
    /// changed → restart dnsmasq; the rules or radvd's config changed → reload or restart them.
    func update(to next: NetworkDefinition) throws {
        guard let r = running[next.name] else { throw SystemError("update network \(next.name)", cause: "it is not running") }
        let old = r.def
        let cidrs = { (d: NetworkDefinition) in d.ips.map { "\($0.address)/\($0.effectivePrefix)" } }
        if cidrs(next) != cidrs(old) || next.bridge != old.bridge || next.mtu != old.mtu || next.mac != old.mac || next.forward.mode != old.forward.mode {
            throw SystemError("update network \(next.name) live", cause: "addresses, bridge, MTU, MAC and forward mode take effect only at the next start")
        }
        r.def = next
        try loadRuleset(next, r)
        let p = paths(next.name)
        let wantDnsmasq = NetworkManager.needsDnsmasq(next)
        let conf = wantDnsmasq ? dnsmasqConfig(next) : nil
        if conf == nil || conf != r.dnsmasqConfig || r.dnsmasq == nil {
            r.dnsmasq?.stop()
            r.dnsmasq = nil
            r.dnsmasqConfig = nil
            unlink(p.dnsmasqPID)
            try startDnsmasq(next, r)
        } else {
            try writeHostFiles(next)
            r.dnsmasq?.send(SIGHUP)
            log.info("network \(next.name): hosts changed; dnsmasq reloaded (SIGHUP)")
        }
        let radvdConf = useRadvd ? RadvdConfigRenderer.config(for: next) : nil
        if radvdConf != r.radvdConfig {
            r.radvd?.stop()
            r.radvd = nil
            r.radvdConfig = nil
            try startRadvd(next, r)
        }
    }

    // MARK: - steps

    private func prepareDirectory(_ name: String) throws {
        // dnsmasq and radvd re-read their files after dropping root: they must be able to walk
        // to them. Others may traverse the state directory but not list or read it.
        var st = stat()
        if stat(stateDirectory, &st) == 0 && st.st_mode & 0o001 == 0 { chmod(stateDirectory, (st.st_mode & 0o7777) | 0o001) }
        for d in [directory, paths(name).directory] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw SystemError("create \(d)", cause: error.localizedDescription)
            }
            chmod(d, 0o711)
        }
        if let blocked = firstUnsearchableDirectory(above: paths(name).directory) {
            throw SystemError("prepare \(paths(name).directory)",
                              cause: "user \(serviceUser) (dnsmasq, radvd) cannot reach it: directory \(blocked) is not searchable; run chmod o+x \(blocked)")
        }
    }

    /// The first directory on the way to `path` that the service user may not search (x bit), if any.
    private func firstUnsearchableDirectory(above path: String) -> String? {
        guard let pw = getpwnam(serviceUser) else { return nil }
        let uid = pw.pointee.pw_uid, gid = pw.pointee.pw_gid
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            var st = stat()
            guard stat(prefix, &st) == 0 else { return prefix }
            let mode = st.st_mode
            let ok = st.st_uid == uid ? mode & 0o100 != 0 : st.st_gid == gid ? mode & 0o010 != 0 : mode & 0o001 != 0
            if !ok { return prefix }
        }
        return nil
    }

    private func configureInterface(_ def: NetworkDefinition, port: String, _ r: Running) throws {
        let hasV6 = !def.ipv6.isEmpty
        // No IPv6 on a bridge without IPv6 addresses (no link-local chatter); never autoconfigure it.
        try? Sysctl.write("net.ipv6.conf.\(port).disable_ipv6", hasV6 ? "0" : "1")
        if hasV6 {
            try? Sysctl.write("net.ipv6.conf.\(port).accept_ra", "0")
            try? Sysctl.write("net.ipv6.conf.\(port).autoconf", "0")
        }
        let nl = try Netlink()
        for ip in def.ips {
            let cidr = "\(ip.address)/\(ip.effectivePrefix)"
            try nl.addAddress(cidr, to: port, noDAD: ip.address.family == .ipv6)
            r.addresses.append(cidr)
        }
    }

    private func setForwarding(_ def: NetworkDefinition) throws {
        let mode = def.forward.mode
        guard mode == .nat || mode == .route || mode == .open else { return }
        if !def.ipv4.isEmpty && Sysctl.read("net.ipv4.ip_forward") != "1" {
            try Sysctl.write("net.ipv4.ip_forward", "1")
            log.info("network \(def.name): enabled net.ipv4.ip_forward")
        }
        if !def.ipv6.isEmpty && Sysctl.read("net.ipv6.conf.all.forwarding") != "1" {
            try Sysctl.write("net.ipv6.conf.all.forwarding", "1")
            log.info("network \(def.name): enabled net.ipv6.conf.all.forwarding")
        }
    }

    private func loadRuleset(_ def: NetworkDefinition, _ r: Running) throws {
        let script = NftablesRulesetRenderer.ruleset(for: def)
        if script == r.ruleset { return }
        guard let script else {
            unloadRuleset(r.def)
            r.ruleset = nil
            return
        }
        guard let nft = ChildProcess.find("nft") else { throw SystemError("load firewall rules of network \(def.name)", cause: "nft not found") }
        let out = try ChildProcess.run(nft, ["-f", "-"], input: script)
        guard out.ok else {
            throw SystemError("load firewall rules of network \(def.name)", cause: "nft: " + out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        r.ruleset = script
    }

    private func unloadRuleset(_ def: NetworkDefinition) {
        guard let script = NftablesRulesetRenderer.deletionScript(for: def), let nft = ChildProcess.find("nft") else { return }
        do {
            let out = try ChildProcess.run(nft, ["-f", "-"], input: script)
            if !out.ok { log.warning("network \(def.name): could not remove firewall rules: \(out.stderr)") }
        } catch {
            log.warning("network \(def.name): \(error)")
        }
        // When no running network has rules any more, Tapestry's (then empty) tables go too.
        if !running.values.contains(where: { $0.ruleset != nil }) {
            _ = try? ChildProcess.run(nft, ["-f", "-"], input: NftablesRulesetRenderer.tableDeletionScript())
        }
    }

    /// dnsmasq runs for a network with addresses that wants DNS or DHCP.
    static func needsDnsmasq(_ def: NetworkDefinition) -> Bool {
        !def.ips.isEmpty && (def.dns.isEnabled || def.ips.contains { $0.hasDHCP })
    }

    func dnsmasqContext(_ name: String) -> DnsmasqRenderContext {
        let p = paths(name)
        var c = DnsmasqRenderContext.tapestry(network: name, stateDirectory: p.directory, pidFile: p.dnsmasqPID)
        c.leaseFile = p.leases
        c.hostsFile = p.hostsFile
        c.addnHostsFile = p.addnHostsFile
        c.routerAdvertisements = !useRadvd
        return c
    }

    func dnsmasqConfig(_ def: NetworkDefinition) -> String {
        DnsmasqConfigRenderer.config(for: def, context: dnsmasqContext(def.name))
    }

    /// Writes a file dnsmasq/radvd read after dropping root: mode 0644 whatever the daemon's umask.
    private func writeReadable(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o644)
        chmod(path, 0o644)
    }

    private func writeHostFiles(_ def: NetworkDefinition) throws {
        let p = paths(def.name)
        try writeReadable(DnsmasqConfigRenderer.hostsFile(for: def), to: p.hostsFile)
        try writeReadable(DnsmasqConfigRenderer.addnHostsFile(for: def), to: p.addnHostsFile)
    }

    private func startDnsmasq(_ def: NetworkDefinition, _ r: Running) throws {
        guard NetworkManager.needsDnsmasq(def) else { return }
        guard let dnsmasq = ChildProcess.find("dnsmasq") else {
            throw SystemError("start dnsmasq of network \(def.name)", cause: "dnsmasq not found (install dnsmasq-base)")
        }
        let p = paths(def.name)
        let conf = dnsmasqConfig(def)
        try writeReadable(conf, to: p.dnsmasqConfig)
        try writeHostFiles(def)
        // The lease file is opened as root before dnsmasq drops privileges; the pid file is
        // written by dnsmasq itself. Both stay in the network's directory.
        if access(p.leases, F_OK) != 0 { FileManager.default.createFile(atPath: p.leases, contents: nil) }
        chmod(p.leases, 0o644)
        if let pw = getpwnam(serviceUser) { chown(p.leases, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        unlink(p.dnsmasqPID)
        truncate(p.dnsmasqLog, 0)
        let spec = SupervisedProcess.Spec(
            label: "dnsmasq of network \(def.name)", path: dnsmasq,
            arguments: ["--conf-file=\(p.dnsmasqConfig)", "--keep-in-foreground", "--user=\(serviceUser)", "--log-facility=-"],
            logPath: p.dnsmasqLog)
        r.dnsmasq = try SupervisedProcess(spec, logger: log)
        r.dnsmasqConfig = conf
    }

    private func startRadvd(_ def: NetworkDefinition, _ r: Running) throws {
        guard useRadvd, let conf = RadvdConfigRenderer.config(for: def) else { return }
        guard let radvd = ChildProcess.find("radvd") else { return }
        let p = paths(def.name)
        try writeReadable(conf, to: p.radvdConfig)
        unlink(p.radvdPID)
        truncate(p.radvdLog, 0)
        let spec = SupervisedProcess.Spec(
            label: "radvd of network \(def.name)", path: radvd,
            arguments: ["--nodaemon", "--config=\(p.radvdConfig)", "--pidfile=\(p.radvdPID)", "--logmethod=stderr",
                        "--username=\(serviceUser)"],
            logPath: p.radvdLog)
        r.radvd = try SupervisedProcess(spec, logger: log)
        r.radvdConfig = conf
    }

    // MARK: - after a crash

    /// Ends dnsmasq and radvd processes a crashed run left behind (found through the pid files
    /// in the networks' directories and checked against /proc/PID/cmdline), and removes the
    /// firewall chains of networks that are not active.
    func removeLeftovers(inactive: [NetworkDefinition]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let p = paths(name)
            for (pidFile, marker) in [(p.dnsmasqPID, p.dnsmasqConfig), (p.radvdPID, p.radvdConfig)] {
                guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
                if ChildProcess.isRunning(pid, marker: marker) {
                    kill(pid, SIGTERM)
                    for _ in 0..<50 where ChildProcess.isRunning(pid, marker: marker) { usleep(20_000) }
                    if ChildProcess.isRunning(pid, marker: marker) { kill(pid, SIGKILL) }
                    log.info("network \(name): ended leftover process \(pid) of a previous run")
                }
                unlink(pidFile)
            }
        }
        for def in inactive { unloadRuleset(def) }
    }

    // MARK: - reads

    /// The leases dnsmasq recorded for a network, optionally only those of `mac`.
    func leases(_ def: NetworkDefinition, mac: String?) -> [NetworkLease] {
        let text = (try? String(contentsOfFile: paths(def.name).leases, encoding: .utf8)) ?? ""
        let now = UInt64(Date().timeIntervalSince1970)
        return DnsmasqLeaseParser.parse(text).compactMap { l -> NetworkLease? in
            if l.expiry != 0 && l.expiry < now { return nil }
            if let mac, l.mac?.lowercased() != mac.lowercased() { return nil }
            let ip = def.ips.first { $0.address.family == l.address.family && $0.address.contains(l.address, prefix: $0.effectivePrefix) }
            let prefix = ip?.effectivePrefix ?? (l.address.family == .ipv4 ? 32 : 128)
            return NetworkLease(expiryTime: l.expiry, mac: l.mac, iaid: l.iaid, type: l.address.family == .ipv4 ? "ipv4" : "ipv6",
                                ipAddress: "\(l.address)", prefix: prefix, hostname: l.hostname, clientID: l.clientID)
        }
    }
}
