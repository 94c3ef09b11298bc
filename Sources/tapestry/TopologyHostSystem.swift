import ControlProtocol
import Foundation
import HostSystem
import TapestryModel
import Topology

/// The machine as `TopologyApplier` sees it, through HostSystem: namespaces, veths, bridges,
/// addresses and routes by netlink inside the lab's own namespaces, lab daemons and DHCP clients
/// started inside them, control calls over the daemons' Unix sockets. Nothing here touches the
/// root namespace's interfaces, addresses, routes or sysctls.
final class TopologyHostSystem: TopologyHost {
    /// Runs `body` with a netlink socket inside namespace `ns`; errors become `TopologyHostError`.
    private func inside<T: Sendable>(_ ns: String, _ what: String, _ body: @escaping @Sendable (Netlink) throws -> T) throws(TopologyHostError) -> T {
        do {
            return try NetworkNamespace.run(in: ns) { try body(try Netlink()) }
        } catch {
            throw TopologyHostError("could not \(what) in \(ns): \(error)")
        }
    }

    // MARK: namespaces

    func namespaces() -> Set<String> { NetworkNamespace.list() }

    func createNamespace(_ ns: String) throws(TopologyHostError) {
        do { try NetworkNamespace.create(ns) } catch { throw TopologyHostError("\(error)") }
    }

    func deleteNamespace(_ ns: String) throws(TopologyHostError) {
        ProcessControl.terminate(NetworkNamespace.processes(in: ns), grace: 5)
        do { try NetworkNamespace.delete(ns) } catch { throw TopologyHostError("\(error)") }
    }

    // MARK: links

    func interfaces(in ns: String) -> Set<String> {
        Set(((try? inside(ns, "list links") { try $0.links() }) ?? []).map(\.name))
    }

    func waitForInterface(_ name: String, in ns: String, seconds: Int) -> Bool {
        for _ in 0..<(seconds * 10) {
            if interfaces(in: ns).contains(name) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return interfaces(in: ns).contains(name)
    }

    func createBridge(_ name: String, in ns: String) throws(TopologyHostError) {
        try inside(ns, "create bridge \(name)") { nl in
            try nl.createBridge(name)
            try nl.change(name, up: true)
        }
    }

    func createVeth(_ name: String, in ns: String, peer: String, in peerNamespace: String) throws(TopologyHostError) {
        do { try NetworkNamespace.createVeth(name, in: ns, peer: peer, in: peerNamespace) } catch {
            throw TopologyHostError("could not create veth \(name) in \(ns) ↔ \(peer) in \(peerNamespace): \(error)")
        }
    }

    func deleteLink(_ name: String, in ns: String) throws(TopologyHostError) {
        try inside(ns, "delete link \(name)") { try $0.delete(name) }
    }

    func setUp(_ name: String, in ns: String, master: String?) throws(TopologyHostError) {
        try inside(ns, "bring up \(name)") { nl in
            if let master { try nl.setMaster(name, master) }
            try nl.change(name, up: true)
        }
    }

    // MARK: addresses and routes

    func addresses(in ns: String) -> [String: [String]] {
        (try? inside(ns, "list addresses") { nl in
            var out: [String: [String]] = [:]
            for l in try nl.links() {
                out[l.name] = try nl.addresses(on: l.name).filter { $0.family == .ipv4 || $0.address.high >> 54 != 0x3FA }.map(\.description)
            }
            return out
        }) ?? [:]
    }

    func addAddress(_ cidr: IPNetwork, to dev: String, in ns: String) throws(TopologyHostError) {
        try inside(ns, "add address \(cidr) to \(dev)") { try $0.addAddress(cidr, to: dev) }
    }

    func deleteAddress(_ cidr: IPNetwork, from dev: String, in ns: String) throws(TopologyHostError) {
        try inside(ns, "delete address \(cidr) from \(dev)") { try $0.deleteAddress(cidr, from: dev) }
    }

    func defaultGateway(in ns: String) -> IPv4Address? {
        ((try? inside(ns, "read the default route") { try $0.defaultGatewayIPv4() }) ?? nil)?.ipv4
    }

    func setDefaultRoute(via gateway: IPv4Address, dev: String, in ns: String) throws(TopologyHostError) {
        let route = IPRoute(destination: IPNetwork(address: IPAddress(ipv4: 0), prefix: 0), gateway: IPAddress(gateway))
        try inside(ns, "set the default route via \(gateway)") { try $0.addRoute(route, dev: dev) }
    }

    func forwarding(in ns: String) -> Bool {
        ((try? NetworkNamespace.run(in: ns) { Sysctl.read("net.ipv4.ip_forward") }) ?? nil) == "1"
    }

    func enableForwarding(in ns: String) throws(TopologyHostError) {
        do { try NetworkNamespace.run(in: ns) { try Sysctl.write("net.ipv4.ip_forward", "1") } } catch {
            throw TopologyHostError("could not enable IPv4 forwarding in \(ns): \(error)")
        }
    }

    func runDHCPClient(on dev: String, in ns: String, workDirectory: String) throws(TopologyHostError) {
        guard let udhcpc = ChildProcess.find("udhcpc") else { throw TopologyHostError("dhcp needs udhcpc (busybox's DHCP client)") }
        let script = workDirectory + "/udhcpc.sh"
        if !FileManager.default.fileExists(atPath: script) {
            try? FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: script, contents: Data(Self.dhcpScript.utf8), attributes: [.posixPermissions: 0o755])
        }
        let out: ChildProcess.Output
        do {
            // Spawned from a thread inside the namespace: the client lives there.
            out = try NetworkNamespace.run(in: ns) {
                try ChildProcess.run(udhcpc, ["-i", dev, "-n", "-q", "-f", "-s", script, "-t", "8", "-T", "1", "-A", "1"], timeout: 30)
            }
        } catch { throw TopologyHostError("udhcpc on \(dev) in \(ns): \(error)") }
        guard out.ok else { throw TopologyHostError("udhcpc on \(dev) in \(ns) exited \(out.status)") }
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

    // MARK: daemons and sockets

    /// tapestryd: $TAPESTRYD, else beside this tapestry binary, else in $PATH.
    static func daemonPath() -> String? {
        if let p = ProcessInfo.processInfo.environment["TAPESTRYD"], !p.isEmpty { return p }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tapestryd").path
        if FileManager.default.isExecutableFile(atPath: exe) { return exe }
        return ChildProcess.find("tapestryd")
    }

    func startDaemon(_ h: LabHost, directory: String) throws(TopologyHostError) -> Int32 {
        guard let ns = h.namespace, let run = h.runDirectory, let state = h.stateDirectory else {
            throw TopologyHostError("host \(h.name) is not a lab host")
        }
        guard let daemon = Self.daemonPath() else { throw TopologyHostError("tapestryd not found (set $TAPESTRYD)") }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TopologyHostError("could not create \(directory): \(error.localizedDescription)")
        }
        let pid: Int32
        do {
            // Spawned from a thread inside the namespace: the daemon lives there.
            pid = try NetworkNamespace.run(in: ns) {
                try ChildProcess.spawn(daemon, ["--run-dir", run, "--state-dir", state], logPath: directory + "/tapestryd.log")
            }
        } catch { throw TopologyHostError("could not start tapestryd in \(ns): \(error)") }
        let client = ControlClient(socketPath: h.socketPath, timeoutSeconds: 2)
        for _ in 0..<150 {
            if (try? client.call(Methods.Version.self, Empty())) != nil { return pid }
            if !ProcessControl.isAlive(pid) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stopDaemon(pid: pid, marker: state)
        let log = (try? String(contentsOfFile: directory + "/tapestryd.log", encoding: .utf8)) ?? ""
        throw TopologyHostError("tapestryd did not come up in \(ns): \(log.split(separator: "\n").suffix(3).joined(separator: " | "))")
    }

    /// SIGTERM (the daemon removes its taps and helpers), SIGKILL after 5 s; only if `pid` is the
    /// tapestryd started with `marker` (its state directory) on its command line.
    func stopDaemon(pid: Int32, marker: String) {
        ProcessControl.terminate(pid, grace: 5, marker: marker)
    }

    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, socket: String, timeout: Int) throws(TopologyHostError) -> M.Result {
        do { return try ControlClient(socketPath: socket, timeoutSeconds: timeout).call(method, params) } catch {
            throw TopologyHostError(error.description)
        }
    }

    // MARK: the lab's record

    func readRecord(at path: String) -> LabRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(LabRecord.self, from: data)
    }

    func writeRecord(_ record: LabRecord, at path: String) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? enc.encode(record) else { return }
        try? AtomicFile.write(data, to: path)
    }

    func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
