import ControlProtocol
import Foundation
import HostSystem
import Logging
import NetworkController

/// The network controller: it owns the running libvirt-style networks and brings the host to
/// their definitions the way Switchboard brings ports — it keeps what it realized for each one
/// (`NetworkRealization`: addresses and routes on the bridge's host port, forwarding sysctls, the
/// forward mode's nftables chains, the supervised dnsmasq and radvd with their files in
/// `<state-dir>/networks/<name>/`), computes a `NetworkPlan` against the next definition and makes
/// only those changes. Start is the plan from nothing, stop the plan to nothing; a live change that
/// fails half way is brought back to the previous definition. Runs once the network's Tapestry
/// bridge and its internal port (named like the bridge) exist. Called under the daemon's lock.
final class NetworkManager {
    /// What runs for one network.
    final class Running {
        /// The definition the host was brought to.
        var def: NetworkDefinition
        /// What is on the host for it now (updated step by step, so it stays true after a failure).
        var realized: NetworkRealization
        var dnsmasq: SupervisedProcess?
        var radvd: SupervisedProcess?
        init(def: NetworkDefinition, interface: String) {
            self.def = def
            realized = NetworkRealization(interface: interface)
        }
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
        serviceUser = ServiceAccount.named("dnsmasq") != nil ? "dnsmasq" : "nobody"
        useRadvd = ProcessInfo.processInfo.environment["TAPESTRY_RA"] != "dnsmasq" && ChildProcess.find("radvd") != nil
    }

    func paths(_ name: String) -> Paths { Paths(directory: directory + "/" + name) }

    /// What `def` needs on this host.
    func desired(_ def: NetworkDefinition) -> NetworkRealization {
        NetworkRealization.desired(for: def, dnsmasq: dnsmasqContext(def.name), radvd: useRadvd)
    }

    // MARK: - start, change, stop

    /// Realizes `def` on the host; on failure undoes what was done and throws the cause.
    func start(_ def: NetworkDefinition) throws {
        guard let port = def.bridge.name else { throw SystemError("start network \(def.name)", cause: "it has no bridge name") }
        if running[def.name] != nil { stop(def.name) }
        let r = Running(def: def, interface: port)
        running[def.name] = r
        do {
            try prepareDirectory(def.name)
            try realize(NetworkPlan(from: r.realized, to: desired(def)), of: def, r)
            log.info("network \(def.name): started on \(port) (\(def.forward.mode.rawValue))")
        } catch {
            stop(def.name)
            throw error
        }
    }

    /// Brings a running network to `next`, live, changing only what differs (see `NetworkPlan`);
    /// returns the plan it made. A failure half way brings the network back to its previous
    /// definition and throws the cause. A new bridge name, MTU or MAC takes effect only at the next start.
    @discardableResult
    func reconcile(to next: NetworkDefinition) throws -> NetworkPlan {
        guard let r = running[next.name] else { throw SystemError("change network \(next.name)", cause: "it is not running") }
        let previous = r.def
        // The bridge's name, MTU and MAC belong to its host port, which the switch would replace.
        var fixed: [String] = []
        if next.bridge.name != previous.bridge.name { fixed.append("bridge name") }
        if next.mtu != previous.mtu { fixed.append("MTU") }
        if next.mac != previous.mac { fixed.append("MAC") }
        guard fixed.isEmpty else {
            throw SystemError("change network \(next.name) live", cause: "a new \(fixed.joined(separator: ", ")) takes effect at the next start")
        }
        let plan = NetworkPlan(from: r.realized, to: desired(next))
        if plan.isEmpty {
            r.def = next
            return plan
        }
        do {
            try realize(plan, of: next, r)
            r.def = next
            log.info("network \(next.name): changed live: \(plan.changes.joined(separator: "; "))")
        } catch {
            log.warning("network \(next.name): live change failed (\(error)); going back to the previous definition")
            try? realize(NetworkPlan(from: r.realized, to: desired(previous)), of: previous, r, bestEffort: true)
            throw error
        }
        return plan
    }

    /// Undoes everything `start` did for network `name`. Never throws; problems are logged.
    func stop(_ name: String) {
        guard let r = running.removeValue(forKey: name) else { return }
        let p = paths(name)
        do {
            try realize(NetworkPlan(from: r.realized, to: NetworkRealization(interface: r.realized.interface)), of: r.def, r, bestEffort: true)
        } catch {
            log.warning("network \(name): \(error)")
        }
        for f in [p.dnsmasqPID, p.radvdPID, p.dnsmasqConfig, p.radvdConfig] { HostFiles.remove(f) }
        removeEmptyTables()
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

    // MARK: - realizing a plan

    /// Makes the plan's steps in order, recording each in `r.realized` as it succeeds. With
    /// `bestEffort` (stop, going back) a failed step is logged and the rest still run; the first
    /// failure is thrown at the end.
    private func realize(_ plan: NetworkPlan, of def: NetworkDefinition, _ r: Running, bestEffort: Bool = false) throws {
        let port = plan.desired.interface
        var failure: (any Error)?
        func step(_ body: () throws -> Void) throws {
            do { try body() } catch {
                guard bestEffort else { throw error }
                log.warning("network \(def.name): \(error)")
                if failure == nil { failure = error }
            }
        }
        let nl = try Netlink()
        for route in plan.removeRoutes {
            try step {
                try nl.deleteRoute(route, dev: port)
                r.realized.routes.removeAll { $0 == route }
            }
        }
        if plan.radvd == .stop { stopRadvd(r) }
        if plan.dnsmasq == .stop { stopDnsmasq(r) }
        for a in plan.removeAddresses {
            try step {
                try nl.deleteAddress(a, from: port)
                r.realized.addresses.removeAll { $0 == a }
            }
        }
        if let v6 = plan.setIPv6 {
            // No IPv6 on a bridge without IPv6 addresses (no link-local chatter); never autoconfigure it.
            try? Sysctl.write("net.ipv6.conf.\(port).disable_ipv6", v6 ? "0" : "1")
            if v6 {
                try? Sysctl.write("net.ipv6.conf.\(port).accept_ra", "0")
                try? Sysctl.write("net.ipv6.conf.\(port).autoconf", "0")
            }
            r.realized.ipv6 = v6
        }
        for a in plan.addAddresses {
            try step {
                try nl.addAddress(a, to: port)
                r.realized.addresses.append(a)
            }
        }
        try step { try setForwarding(plan, def) }
        r.realized.forwardIPv4 = plan.desired.forwardIPv4
        r.realized.forwardIPv6 = plan.desired.forwardIPv6
        if let script = plan.loadRuleset {
            try step {
                try nft(script, what: "load firewall rules of network \(def.name)")
                r.realized.ruleset = script
                r.realized.chains.formUnion(plan.desired.chains)
            }
        }
        if let script = NftablesRulesetRenderer.deletionScript(chains: plan.removeChains) {
            try step {
                try nft(script, what: "remove firewall rules of network \(def.name)")
                r.realized.chains.subtract(plan.removeChains)
                if plan.desired.ruleset == nil { r.realized.ruleset = nil }
            }
        }
        for route in plan.addRoutes {
            try step {
                try nl.addRoute(route, dev: port)
                r.realized.routes.append(route)
            }
        }
        switch plan.dnsmasq {
        case .keep, .stop: break
        case .start, .restart:
            try step {
                stopDnsmasq(r)
                try startDnsmasq(def, plan.desired, r)
            }
        case .reloadHosts:
            try step {
                try writeHostFiles(def.name, plan.desired)
                r.realized.dhcpHosts = plan.desired.dhcpHosts
                r.realized.dnsHosts = plan.desired.dnsHosts
                r.dnsmasq?.send(SIGHUP)
            }
        }
        switch plan.radvd {
        case .keep, .stop, .reloadHosts: break
        case .start, .restart:
            try step {
                stopRadvd(r)
                try startRadvd(def, plan.desired, r)
            }
        }
        if let failure { throw failure }
    }

    private func setForwarding(_ plan: NetworkPlan, _ def: NetworkDefinition) throws {
        if plan.enableForwardIPv4 && Sysctl.read("net.ipv4.ip_forward") != "1" {
            try Sysctl.write("net.ipv4.ip_forward", "1")
            log.info("network \(def.name): enabled net.ipv4.ip_forward")
        }
        if plan.enableForwardIPv6 && Sysctl.read("net.ipv6.conf.all.forwarding") != "1" {
            try Sysctl.write("net.ipv6.conf.all.forwarding", "1")
            log.info("network \(def.name): enabled net.ipv6.conf.all.forwarding")
        }
    }

    /// Runs an `nft -f -` script.
    private func nft(_ script: String, what: String) throws {
        guard let nft = ChildProcess.find("nft") else { throw SystemError(what, cause: "nft not found") }
        let out = try ChildProcess.run(nft, ["-f", "-"], input: script)
        guard out.ok else { throw SystemError(what, cause: "nft: " + out.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// When no running network has rules any more, Tapestry's (then empty) tables go too.
    private func removeEmptyTables() {
        guard !running.values.contains(where: { !$0.realized.chains.isEmpty }) else { return }
        try? nft(NftablesRulesetRenderer.tableDeletionScript(), what: "remove Tapestry's nftables tables")
    }

    private func stopDnsmasq(_ r: Running) {
        r.dnsmasq?.stop()
        r.dnsmasq = nil
        r.realized.dnsmasqConfig = nil
        r.realized.dhcpHosts = ""
        r.realized.dnsHosts = ""
    }

    private func stopRadvd(_ r: Running) {
        r.radvd?.stop()
        r.radvd = nil
        r.realized.radvdConfig = nil
    }

    private func prepareDirectory(_ name: String) throws {
        // dnsmasq and radvd re-read their files after dropping root: they must be able to walk
        // to them. Others may traverse the state directory but not list or read it.
        HostFiles.allowTraversal(stateDirectory)
        for d in [directory, paths(name).directory] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw SystemError("create \(d)", cause: error.localizedDescription)
            }
            HostFiles.setMode(d, 0o711)
        }
        if let blocked = ServiceAccount.named(serviceUser)?.firstUnsearchableDirectory(above: paths(name).directory) {
            throw SystemError("prepare \(paths(name).directory)",
                              cause: "user \(serviceUser) (dnsmasq, radvd) cannot reach it: directory \(blocked) is not searchable; run chmod o+x \(blocked)")
        }
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

    /// Writes a file dnsmasq/radvd read after dropping root: mode 0644 whatever the daemon's umask.
    private func writeReadable(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o644)
        HostFiles.setMode(path, 0o644)
    }

    private func writeHostFiles(_ name: String, _ want: NetworkRealization) throws {
        let p = paths(name)
        try writeReadable(want.dhcpHosts, to: p.hostsFile)
        try writeReadable(want.dnsHosts, to: p.addnHostsFile)
    }

    private func startDnsmasq(_ def: NetworkDefinition, _ want: NetworkRealization, _ r: Running) throws {
        guard let conf = want.dnsmasqConfig else { return }
        guard let dnsmasq = ChildProcess.find("dnsmasq") else {
            throw SystemError("start dnsmasq of network \(def.name)", cause: "dnsmasq not found (install dnsmasq-base)")
        }
        let p = paths(def.name)
        try writeReadable(conf, to: p.dnsmasqConfig)
        try writeHostFiles(def.name, want)
        // The lease file is opened as root before dnsmasq drops privileges; the pid file is
        // written by dnsmasq itself. Both stay in the network's directory.
        HostFiles.prepare(p.leases, mode: 0o644, owner: ServiceAccount.named(serviceUser))
        HostFiles.remove(p.dnsmasqPID)
        HostFiles.empty(p.dnsmasqLog)
        let spec = SupervisedProcess.Spec(
            label: "dnsmasq of network \(def.name)", path: dnsmasq,
            arguments: ["--conf-file=\(p.dnsmasqConfig)", "--keep-in-foreground", "--user=\(serviceUser)", "--log-facility=-"],
            logPath: p.dnsmasqLog)
        r.dnsmasq = try SupervisedProcess(spec, logger: log)
        r.realized.dnsmasqConfig = conf
        r.realized.dhcpHosts = want.dhcpHosts
        r.realized.dnsHosts = want.dnsHosts
    }

    private func startRadvd(_ def: NetworkDefinition, _ want: NetworkRealization, _ r: Running) throws {
        guard let conf = want.radvdConfig else { return }
        guard let radvd = ChildProcess.find("radvd") else { return }
        let p = paths(def.name)
        try writeReadable(conf, to: p.radvdConfig)
        HostFiles.remove(p.radvdPID)
        HostFiles.empty(p.radvdLog)
        let spec = SupervisedProcess.Spec(
            label: "radvd of network \(def.name)", path: radvd,
            arguments: ["--nodaemon", "--config=\(p.radvdConfig)", "--pidfile=\(p.radvdPID)", "--logmethod=stderr",
                        "--username=\(serviceUser)"],
            logPath: p.radvdLog)
        r.radvd = try SupervisedProcess(spec, logger: log)
        r.realized.radvdConfig = conf
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
                guard let pid = HostFiles.readPID(pidFile) else { continue }
                if ProcessControl.terminate(pid, grace: 1, marker: marker) != .notRunning {
                    log.info("network \(name): ended leftover process \(pid) of a previous run")
                }
                HostFiles.remove(pidFile)
            }
        }
        for def in inactive {
            guard let script = NftablesRulesetRenderer.deletionScript(for: def) else { continue }
            do { try nft(script, what: "remove firewall rules of network \(def.name)") } catch { log.warning("network \(def.name): \(error)") }
        }
        removeEmptyTables()
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
