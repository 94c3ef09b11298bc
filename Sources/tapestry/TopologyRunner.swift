import ControlProtocol
import Foundation
import HostSystem
import TapestryModel
import Topology

/// Drives a lab: observes what is there, runs a plan's changes through the control API and the lab
/// plumbing, undoes what it did when a change fails, and keeps the lab record up to date.
final class TopologyRunner {
    let model: LabModel
    let file: String
    let system: LabSystem
    var record: LabRecord
    /// Every change made so far in this run, with how to undo it.
    private var journal: [(PlannedChange, [ChangeStep])] = []

    var recordPath: String { model.directory + "/lab.json" }

    init(model: LabModel, file: String) throws(LabSystem.Failure) {
        self.model = model
        self.file = file
        system = try LabSystem()
        record = LabRecord(name: model.name, file: file)
        if let data = FileManager.default.contents(atPath: model.directory + "/lab.json"),
           let r = try? JSONDecoder().decode(LabRecord.self, from: data) {
            record = r
        }
    }

    var hasRecord: Bool { FileManager.default.fileExists(atPath: recordPath) }

    func saveRecord() {
        try? FileManager.default.createDirectory(atPath: model.directory, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? enc.encode(record) else { return }
        try? AtomicFile.write(data, to: recordPath)
    }

    // MARK: - hosts

    func socket(of host: String) -> String? {
        model.host(named: host)?.socketPath ?? record.host(named: host)?.socketPath
    }

    func call<M: RPCMethod>(_ m: M.Type, _ params: M.Params, host: String, timeout: Int = 30) throws(LabSystem.Failure) -> M.Result {
        guard let path = socket(of: host) else { throw LabSystem.Failure("no socket for host \(host)") }
        do { return try ControlClient(socketPath: path, timeoutSeconds: timeout).call(m, params) } catch {
            throw LabSystem.Failure(error.description)
        }
    }

    // MARK: - observe

    func observe() -> ObservedLab {
        var o = ObservedLab()
        let all = system.namespaces()
        o.namespaces = all.intersection(Set(model.namespaces + record.namespaces + record.hosts.compactMap(\.namespace)))
        for h in model.hosts {
            if let ns = h.namespace, !o.namespaces.contains(ns) { continue }
            guard let show = try? call(Methods.Show.self, ShowParams(), host: h.name, timeout: 5) else { continue }
            var oh = ObservedHost()
            oh.bridges = show.bridges.map { b in
                var c = BridgeConfig(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize)
                c.ports = b.ports.map(\.config)
                c.staticMACs = b.staticMACs
                return c
            }
            if let list = try? call(Methods.NetList.self, Empty(), host: h.name, timeout: 5) {
                oh.networks = list.networks.compactMap { n in
                    guard let xml = try? call(Methods.NetDumpXML.self, NetworkDumpXMLParams(network: n.name, inactive: true), host: h.name, timeout: 5) else { return nil }
                    return ObservedNetwork(name: n.name, xml: xml.xml, active: n.active, autostart: n.autostart, bridge: n.bridge)
                }
            }
            if let ns = h.namespace {
                oh.addresses = system.addresses(in: ns)
                oh.forwarding = system.forwarding(in: ns)
            }
            o.hosts[h.name] = oh
        }
        if let u = model.underlay, o.namespaces.contains(u.namespace) {
            o.underlayBridge = system.interfaces(in: u.namespace).contains(LabUnderlay.bridgeName)
            for l in u.links where o.namespaces.contains(l.hostNamespace) {
                if system.addresses(in: l.hostNamespace)[LabUnderlay.hostInterface]?.contains(l.address.description) == true {
                    o.underlayLinks.insert(l.host)
                }
            }
        }
        for n in model.nodes where o.namespaces.contains(n.namespace) {
            let addrs = system.addresses(in: n.namespace)
            o.nodes[n.name] = ObservedNode(hasInterface: addrs[n.interface] != nil, addresses: addrs[n.interface] ?? [],
                                           defaultGateway: system.defaultGateway(in: n.namespace))
        }
        return o
    }

    // MARK: - run

    /// Runs `changes` in order; on a failure undoes what this run did and throws which change failed and why.
    func run(_ changes: [PlannedChange], report: (PlannedChange) -> Void) throws(LabSystem.Failure) {
        for c in changes {
            do {
                let undo = try perform(c.step)
                journal.append((c, undo))
                report(c)
            } catch {
                let cause = error.description
                let undone = rollback()
                saveRecord()
                throw LabSystem.Failure("\(c.description.dropFirst(2)) failed: \(cause)\(undone > 0 ? " (rolled back \(undone) change\(undone == 1 ? "" : "s"))" : "")")
            }
        }
    }

    /// Undoes the journal, newest first; returns how many changes were undone.
    func rollback() -> Int {
        var n = 0
        for (_, undo) in journal.reversed() {
            for step in undo { _ = try? perform(step) }
            n += 1
        }
        journal.removeAll()
        return n
    }

    /// Makes one change; returns the steps that undo it.
    func perform(_ step: ChangeStep) throws(LabSystem.Failure) -> [ChangeStep] {
        switch step {
        case .createNamespace(let ns):
            try system.createNamespace(ns)
            if !model.hosts.contains(where: { $0.namespace == ns }) && !record.namespaces.contains(ns) { record.namespaces.append(ns); saveRecord() }
            return [.deleteNamespace(ns)]
        case .deleteNamespace(let ns):
            try system.deleteNamespace(ns)
            record.namespaces.removeAll { $0 == ns }
            return []
        case .startDaemon(let h):
            guard let host = model.host(named: h) else { throw LabSystem.Failure("no host \(h)") }
            let pid = try system.startDaemon(host, directory: model.directory + "/hosts/" + h)
            record.hosts.removeAll { $0.name == h }
            record.hosts.append(LabRecord.Host(name: h, namespace: host.namespace, socketPath: host.socketPath, pid: pid, stateDirectory: host.stateDirectory))
            saveRecord()
            return [.stopDaemon(host: h)]
        case .stopDaemon(let h):
            if let r = record.host(named: h), let pid = r.pid, let marker = r.stateDirectory {
                system.stopDaemon(pid: pid, marker: marker)
            }
            if let i = record.hosts.firstIndex(where: { $0.name == h }) { record.hosts[i].pid = nil }
            return []
        case .createUnderlayBridge(let ns):
            // ip -n UL link add ul type bridge ; ip -n UL link set ul up
            try system.ip(["-n", ns, "link", "add", LabUnderlay.bridgeName, "type", "bridge"])
            try system.ip(["-n", ns, "link", "set", LabUnderlay.bridgeName, "up"])
            return []
        case .createUnderlayLink(let l, let ul):
            // A veth made directly in the two lab namespaces: ul0 in the host, h-<host> on the underlay bridge.
            try system.ip(["-n", l.hostNamespace, "link", "del", LabUnderlay.hostInterface], timeout: 5, ignoringFailure: true)
            try system.ip(["link", "add", LabUnderlay.hostInterface, "netns", l.hostNamespace, "type", "veth", "peer", "name", l.peer, "netns", ul])
            try system.ip(["-n", ul, "link", "set", l.peer, "master", LabUnderlay.bridgeName, "up"])
            try system.ip(["-n", l.hostNamespace, "addr", "add", l.address.description, "dev", LabUnderlay.hostInterface])
            try system.ip(["-n", l.hostNamespace, "link", "set", LabUnderlay.hostInterface, "up"])
            return []
        case .setForwarding(let h):
            guard let ns = model.host(named: h)?.namespace else { throw LabSystem.Failure("host \(h) is not a lab host") }
            try system.exec(ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
            return []
        case .createNodeLink(let name):
            guard let n = model.nodes.first(where: { $0.name == name }), case .link(let hostName, let addr) = n.attachment,
                  let hostNS = model.host(named: n.host)?.namespace else { throw LabSystem.Failure("node \(name) has no link on a lab host") }
            try system.ip(["-n", hostNS, "link", "del", hostName], timeout: 5, ignoringFailure: true)
            try system.ip(["link", "add", n.interface, "netns", n.namespace, "type", "veth", "peer", "name", hostName, "netns", hostNS])
            if let addr { try system.ip(["-n", hostNS, "addr", "add", addr.description, "dev", hostName]) }
            try system.ip(["-n", hostNS, "link", "set", hostName, "up"])
            try system.ip(["-n", n.namespace, "link", "set", n.interface, "up"])
            return []
        case .configureNode(let name):
            try configureNode(name)
            return []
        case .addBridge(let h, let b):
            var bare = b
            bare.ports = []
            bare.staticMACs = []
            _ = try call(Methods.AddBridge.self, AddBridgeParams(bridge: bare, mayExist: false), host: h)
            return [.deleteBridge(host: h, bare)]
        case .setBridge(let h, let old, let new):
            _ = try call(Methods.SetBridge.self, SetBridgeParams(bridge: new.name, mode: new.mode, macAging: new.macAging, macTableSize: new.macTableSize), host: h)
            return [.setBridge(host: h, old: new, new: old)]
        case .deleteBridge(let h, let b):
            _ = try call(Methods.DeleteBridge.self, DeleteBridgeParams(bridge: b.name, ifExists: true), host: h)
            var undo: [ChangeStep] = [.addBridge(host: h, b)]
            undo += b.ports.map { .addPort(host: h, bridge: b.name, $0) }
            undo += b.staticMACs.map { .addStaticMAC(host: h, bridge: b.name, $0) }
            return undo
        case .addPort(let h, let b, let p):
            _ = try call(Methods.AddPort.self, AddPortParams(bridge: b, port: p, mayExist: false), host: h)
            return [.deletePort(host: h, bridge: b, p)]
        case .addNetworkPort(let h, let n, let p):
            _ = try call(Methods.AddPort.self, AddPortParams(bridge: "", port: p, mayExist: false, network: n), host: h)
            let bridge = (try? call(Methods.NetInfo.self, NetworkParams(network: n), host: h))?.bridge ?? ""
            return [.deletePort(host: h, bridge: bridge, p)]
        case .setPort(let h, let b, let old, let new):
            _ = try call(Methods.SetPort.self, setPortParams(bridge: b, new), host: h)
            return [.setPort(host: h, bridge: b, old: new, new: old)]
        case .deletePort(let h, let b, let p):
            _ = try call(Methods.DeletePort.self, DeletePortParams(bridge: b, port: p.name, ifExists: true), host: h)
            return [.addPort(host: h, bridge: b, p)]
        case .addStaticMAC(let h, let b, let s):
            _ = try call(Methods.FDBAdd.self, FDBEntryParams(bridge: b, port: s.port, mac: s.mac, vlan: s.vlan, remote: s.remote), host: h)
            return [.deleteStaticMAC(host: h, bridge: b, s)]
        case .deleteStaticMAC(let h, let b, let s):
            _ = try call(Methods.FDBDelete.self, FDBEntryParams(bridge: b, port: nil, mac: s.mac, vlan: s.vlan), host: h)
            return [.addStaticMAC(host: h, bridge: b, s)]
        case .createNetwork(let h, let name, let xml, let autostart):
            _ = try call(Methods.NetDefine.self, NetworkXMLParams(xml: xml), host: h)
            do {
                _ = try call(Methods.NetStart.self, NetworkParams(network: name), host: h)
            } catch {
                _ = try? call(Methods.NetUndefine.self, NetworkParams(network: name), host: h)
                throw error
            }
            if autostart { _ = try call(Methods.NetAutostart.self, NetworkAutostartParams(network: name, enable: true), host: h) }
            return [.deleteNetwork(host: h, ObservedNetwork(name: name, xml: xml, active: true, autostart: autostart, bridge: nil))]
        case .deleteNetwork(let h, let n):
            if n.active { _ = try call(Methods.NetDestroy.self, NetworkParams(network: n.name), host: h) }
            _ = try call(Methods.NetUndefine.self, NetworkParams(network: n.name), host: h)
            return n.active ? [.createNetwork(host: h, name: n.name, xml: n.xml, autostart: n.autostart)] : []
        case .setAutostart(let h, let n, let on):
            _ = try call(Methods.NetAutostart.self, NetworkAutostartParams(network: n, enable: on), host: h)
            return [.setAutostart(host: h, network: n, !on)]
        case .addAddress(let h, let a):
            guard let ns = model.host(named: h)?.namespace else { throw LabSystem.Failure("host \(h) is not a lab host") }
            try system.ip(["-n", ns, "addr", "replace", a.address, "dev", a.interface])
            try system.ip(["-n", ns, "link", "set", a.interface, "up"])
            return [.deleteAddress(host: h, a)]
        case .deleteAddress(let h, let a):
            guard let ns = model.host(named: h)?.namespace ?? record.host(named: h)?.namespace else { return [] }
            try system.ip(["-n", ns, "addr", "del", a.address, "dev", a.interface])
            return [.addAddress(host: h, a)]
        }
    }

    /// `set-port` parameters that turn any VLAN role into `p`'s.
    func setPortParams(bridge: String, _ p: PortConfig) -> SetPortParams {
        switch p.vlanMode {
        case .access(let v):
            return SetPortParams(bridge: bridge, port: p.name, accessVLAN: v, isolated: p.isolated)
        case .trunk:
            if p.trunk == nil && p.native == nil && p.nativeMode == nil {
                return SetPortParams(bridge: bridge, port: p.name, clearVLAN: true, isolated: p.isolated)
            }
            return SetPortParams(bridge: bridge, port: p.name, trunk: p.trunk ?? .all, native: p.native, nativeMode: p.nativeMode,
                                 clearVLAN: true, isolated: p.isolated)
        }
    }

    /// Brings the node's interface up, sets its address (or runs a DHCP client once) and default route.
    func configureNode(_ name: String) throws(LabSystem.Failure) {
        guard let n = model.nodes.first(where: { $0.name == name }) else { throw LabSystem.Failure("no node \(name)") }
        var found = false
        for _ in 0..<50 {
            if system.interfaces(in: n.namespace).contains(n.interface) { found = true; break }
            usleep(100_000)
        }
        guard found else { throw LabSystem.Failure("interface \(n.interface) did not appear in \(n.namespace)") }
        try system.ip(["-n", n.namespace, "link", "set", n.interface, "up"])
        switch n.address {
        case .staticAddress(let c)?:
            try system.ip(["-n", n.namespace, "addr", "replace", c.description, "dev", n.interface])
        case .dhcp?:
            let script = model.directory + "/udhcpc.sh"
            if !FileManager.default.fileExists(atPath: script) {
                try? FileManager.default.createDirectory(atPath: model.directory, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: script, contents: Data(LabSystem.dhcpScript.utf8), attributes: [.posixPermissions: 0o755])
            }
            guard let udhcpc = ChildProcess.find("udhcpc") else { throw LabSystem.Failure("node \(name): dhcp needs udhcpc") }
            do {
                try system.exec(n.namespace, [udhcpc, "-i", n.interface, "-n", "-q", "-f", "-s", script, "-t", "8", "-T", "1", "-A", "1"], timeout: 30)
            } catch {
                throw LabSystem.Failure("node \(name): no DHCP lease on \(n.interface)")
            }
        case nil: break
        }
        if let g = n.gateway { try system.ip(["-n", n.namespace, "route", "replace", "default", "via", g.description]) }
    }
}

extension LabSystem {
    /// `ip ARGS` whose failure is expected at times (removing a leftover that may not be there).
    func ip(_ args: [String], timeout: Double, ignoringFailure: Bool) throws(Failure) {
        if ignoringFailure { _ = try? ip(args, timeout: timeout) } else { try ip(args, timeout: timeout) }
    }
}
