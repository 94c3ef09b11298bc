import Datapath
import Foundation
import HostSystem
import Logging
import SwitchCore
import TapestryModel
import VhostUser

/// Owns the realized ports and tunnel sockets and reconciles them to a desired state, the way Open vSwitch's bridge_reconfigure does:
/// work out the wanted ports, remove what is not wanted, create what is missing, adopt
/// setting changes in place, and publish the result to the datapath. A port that fails records
/// its error and the rest still applies.
final class PortReconciler {
    let datapath: Datapath
    private let owned: OwnedDevices
    let log: Logger
    var ports: [String: RealizedPort] = [:]
    /// Ports that could not be realized, with the reason.
    var failures: [String: String] = [:]
    private var counters: [String: PortCounters] = [:]
    /// The state last reconciled to (the link monitor re-publishes it when a link changes).
    private(set) var current = DesiredState()
    /// Watches the links of the namespaces where ports live (set by the daemon).
    var monitor: LinkMonitor?
    /// System ports whose netdev disappeared, waiting for it to come back.
    var vanished: Set<String> = []
    /// Link up/down transitions seen per port, for metrics.
    var linkChanges: [String: UInt64] = [:]
    /// Spanning tree instances of the bridges that run STP.
    let spanningTree = SpanningTreeRunner()
    /// Set when the daemon stops: the bonds thread ends.
    let bondsStopped = LockedBox(false)
    /// Shared VXLAN endpoints by "local:port".
    private var tunnels: [String: VXLANTunnel] = [:]

    /// Where vhost-user sockets go by default (`<run-dir>/vhost-user`), and their group.
    private let vhostDirectory: String
    private let socketGroup: gid_t?
    /// Where vhost-user endpoints record their connections (the daemon's event log).
    private let events: EventLog?

    init(datapath: Datapath, owned: OwnedDevices, logger: Logger, runDirectory: String = "/run/tapestry",
         socketGroup: gid_t? = nil, events: EventLog? = nil) {
        self.datapath = datapath; self.owned = owned; self.log = logger; self.events = events
        vhostDirectory = runDirectory + "/vhost-user"; self.socketGroup = socketGroup
    }

    /// The socket of a vhost-user port: its own setting or the default under the run directory.
    func vhostSocketPath(_ p: PortConfig) -> String { p.socketPath ?? "\(vhostDirectory)/\(p.name).sock" }

    /// Removes devices a previous run created that `state` no longer wants (found in owned.json).
    func removeLeftovers(keeping state: DesiredState) {
        var wanted = Set<OwnedDevices.Device>()
        for b in state.bridges {
            for p in b.ports where p.type != .system { wanted.insert(.init(name: p.name, netns: p.netns)) }
        }
        for d in owned.devices where !wanted.contains(d) {
            do {
                try TapDevice.remove(name: d.name, netns: d.netns)
                try owned.remove(d)
                log.info("\(d.name): removed leftover device of a previous run")
            } catch {
                log.warning("\(d.name): could not remove leftover device: \(error)")
            }
        }
    }

    /// Makes the host match `state`; returns the ports that failed, with reasons.
    @discardableResult
    func reconcile(to state: DesiredState) -> [String: String] {
        var wanted: [String: (PortConfig, String)] = [:]
        for b in state.bridges { for p in b.ports { wanted[p.name] = (p, b.name) } }
        current = state
        defer { monitor?.watch(PortReconciler.linkNamespaces(of: state)) }
        vanished = vanished.filter { wanted[$0] != nil }

        // 1. Drop ports that are no longer wanted or must be re-created; publish before closing fds.
        let doomed = ports.values.filter { rp in
            guard let (cfg, bridge) = wanted[rp.config.name] else { return true }
            return !rp.canAdopt(cfg, on: bridge)
        }
        if !doomed.isEmpty {
            for rp in doomed { ports[rp.config.name] = nil }
            publish(state)
            releaseAll(doomed, keepDevices: false)
            closeUnusedTunnels()
        }
        failures = failures.filter { wanted[$0.key] != nil }

        // 2. Create what is missing (recorded as owned first, in one write); adopt changed settings of the rest.
        var missing: [(PortConfig, String)] = []
        for b in state.bridges {
            for p in b.ports {
                if let rp = ports[p.name] {
                    if rp.config != p { ports[p.name] = rebuilt(rp, with: p) }
                } else {
                    missing.append((p, b.name))
                }
            }
        }
        let newDevices = missing.filter { $0.0.type == .tap || $0.0.type == .internal }
            .map { OwnedDevices.Device(name: $0.0.name, netns: $0.0.netns) }
            .filter { !owned.devices.contains($0) }
        do { try owned.insert(contentsOf: newDevices) } catch {
            for (p, _) in missing { failures[p.name] = "could not record owned devices: \(error)" }
            publish(state)
            return failures
        }
        var usedIDs = Set(ports.values.map(\.id))
        var notCreated: [OwnedDevices.Device] = []
        for (p, bridge) in missing {
            var id: UInt32 = 0
            while usedIDs.contains(id) { id += 1 }
            do {
                ports[p.name] = try realize(p, bridge: bridge, id: id, isNew: newDevices.contains { $0.name == p.name })
                usedIDs.insert(id)
                failures[p.name] = nil
            } catch {
                failures[p.name] = "\(error)"
                log.error("\(p.name): \(error)")
                let d = OwnedDevices.Device(name: p.name, netns: p.netns)
                if newDevices.contains(d) { notCreated.append(d) }
            }
        }
        try? owned.remove(contentsOf: notCreated)
        publish(state)
        return failures
    }

    /// Takes everything down (daemon shutdown): detaches ports, deletes owned devices unless kept.
    func shutdown(keepDevices: Bool) {
        let all = Array(ports.values)
        ports.removeAll()
        datapath.publish(.empty)
        releaseAll(all, keepDevices: keepDevices)
        closeUnusedTunnels()
    }

    /// The tunnel endpoint of a realized vxlan port.
    func tunnel(of port: String) -> VXLANTunnel? {
        guard let v = ports[port]?.config.vxlan else { return nil }
        return tunnels[PortReconciler.tunnelKey(v)]
    }

    static func tunnelKey(_ v: VXLANConfig) -> String {
        "[\((v.local ?? .unspecified(v.underlayFamily)).description)]:\(v.dstPort)"
    }

    private func closeUnusedTunnels() {
        let used = Set(ports.values.compactMap { $0.config.vxlan.map(PortReconciler.tunnelKey) })
        for (key, t) in tunnels where !used.contains(key) {
            t.close()
            tunnels[key] = nil
        }
    }

    func counters(of port: String) -> PortCounters? { ports[port]?.counters }

    /// Port names by datapath id, for showing MAC tables.
    var namesByID: [UInt32: String] {
        Dictionary(uniqueKeysWithValues: ports.values.map { ($0.id, $0.config.name) })
    }

    // MARK: - steps

    func publish(_ state: DesiredState) {
        syncSpanningTree(state)
        var bridges: [DatapathConfig.Bridge] = []
        for b in state.bridges {
            let realized = b.ports.compactMap { ports[$0.name] }
            let ids = Dictionary(uniqueKeysWithValues: realized.map { ($0.config.name, $0.id) })
            let states = forwardingStates(of: realized).merging(spanningTree.states(b.name)) { $0.combined(with: $1) }
            let fwd = ForwardingSnapshot(config: b, portIDs: ids, states: states)
            let io = fwd.ports.compactMap { fp -> DatapathPort? in
                guard let rp = ports[fp.name] else { return nil }
                if let backend = rp.backend { return DatapathPort(name: fp.name, backend: backend, counters: rp.counters) }
                guard let v = rp.config.vxlan, let tunnel = tunnels[PortReconciler.tunnelKey(v)] else { return nil }
                let statics = Set(b.staticMACs.filter { $0.port == fp.name }.compactMap(\.remote))
                let binding = VXLANBinding(tunnel: tunnel, vni: UInt32(v.vni), remotes: v.remotes,
                                         accepted: statics, dstPort: UInt16(v.dstPort))
                return DatapathPort(name: fp.name, backend: VXLANPortBackend(binding: binding), counters: rp.counters)
            }
            bridges.append(DatapathConfig.Bridge(forwarding: fwd, ports: io, controlFrames: spanningTree.queue(b.name)))
        }
        datapath.publish(DatapathConfig(bridges: bridges))
    }

    func realize(_ p: PortConfig, bridge: String, id: UInt32, isNew: Bool) throws -> RealizedPort {
        let counters = self.counters[p.name] ?? PortCounters(lanes: datapath.threadCount)
        self.counters[p.name] = counters
        switch p.type {
        case .tap, .internal:
            if let ns = p.netns, !NetworkNamespace.exists(ns) {
                throw SystemError("create tap \(p.name)", cause: "network namespace \(ns) does not exist")
            }
            // A bridge's local port (add-br, not a network's) starts down as in Open vSwitch, and
            // later keeps the link state the host's admin gave it.
            let local = p.type == .internal && p.name == bridge && current.network(onBridge: bridge) == nil
            let h = try TapDevice.open(name: p.name, netns: p.netns, bridge: bridge, mtu: p.mtu, mac: p.mac?.octets,
                                       queues: datapath.threadCount, up: local ? (isNew ? false : nil) : true)
            log.info("\(p.name): \(isNew ? "created" : "re-attached") tap on \(bridge) with \(h.fds.count) queue(s)\(p.netns.map { " in netns \($0)" } ?? "")")
            return RealizedPort(config: p, bridge: bridge, id: id, fds: h.fds, backend: TapBackend(fds: h.fds), counters: counters,
                                link: h.link)
        case .vxlan:
            guard let v = p.vxlan else { throw SystemError("add vxlan port \(p.name)", cause: "no tunnel settings") }
            let key = PortReconciler.tunnelKey(v)
            if tunnels[key] == nil {
                do {
                    tunnels[key] = try VXLANTunnel(local: v.local ?? .unspecified(v.underlayFamily), port: UInt16(v.dstPort), queues: datapath.threadCount)
                } catch {
                    throw SystemError("add vxlan port \(p.name)", cause: error.description)
                }
            }
            let link = LinkInfo(name: p.name, ifindex: 0, isUp: true, mtu: 0, mac: nil, alias: nil)
            log.info("\(p.name): vxlan VNI \(v.vni) to \(v.remotes.map(\.description).joined(separator: ",")) on UDP \(key)")
            return RealizedPort(config: p, bridge: bridge, id: id, fds: [], backend: nil, counters: counters, link: link)
        case .vhostUser, .vhostUserClient:
            return try realizeVhostUser(p, bridge: bridge, id: id, counters: counters)
        case .system:
            let h = try SystemInterface.attach(name: p.name, sockets: datapath.threadCount)
            log.info("\(p.name): attached system interface to \(bridge) with \(h.fds.count) socket(s)")
            return RealizedPort(config: p, bridge: bridge, id: id, fds: h.fds, backend: PacketBackend(fds: h.fds), counters: counters,
                                link: h.link)
        case .bond:
            let (bond, fds) = try BondRuntime.realize(p, id: id, threads: datapath.threadCount)
            log.info("\(p.name): bond of \(bond.backend.memberNames.joined(separator: ", ")) on \(bridge) (\(p.bond?.mode.rawValue ?? "?"), LACP \(p.bond?.lacp.rawValue ?? "off"))")
            let link = LinkInfo(name: p.name, ifindex: 0, isUp: true, mtu: 0, mac: nil, alias: nil)
            return RealizedPort(config: p, bridge: bridge, id: id, fds: fds, backend: bond.backend, counters: counters, link: link, bond: bond)
        case .patch:
            guard let peer = p.peer else { throw SystemError("add patch port \(p.name)", cause: "no peer") }
            let link = LinkInfo(name: p.name, ifindex: 0, isUp: true, mtu: 0, mac: nil, alias: nil)
            log.info("\(p.name): patch port on \(bridge), peer \(peer)")
            return RealizedPort(config: p, bridge: bridge, id: id, fds: [], backend: PatchBackend(peer: peer), counters: counters,
                                link: link)
        }
    }

    /// A vhost-user port: the datapath side, and the socket endpoint whose session installs the
    /// guest's queues into the datapath between batches.
    private func realizeVhostUser(_ p: PortConfig, bridge: String, id: UInt32, counters: PortCounters) throws -> RealizedPort {
        let path = vhostSocketPath(p)
        if ports.values.contains(where: { $0.config.type.isVhostUser && vhostSocketPath($0.config) == path }) {
            throw SystemError("add vhost-user port \(p.name)", cause: "socket \(path) is used by another port")
        }
        if p.type == .vhostUser {
            let dir = (path as NSString).deletingLastPathComponent
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw SystemError("create directory \(dir) for \(p.name)", cause: "\(error)")
            }
        }
        let port = VhostUserPort(threads: datapath.threadCount)
        let dp = datapath
        let name = p.name
        let log = self.log
        let events = self.events
        let endpoint = try VhostUserEndpoint(
            path: path, mode: p.type == .vhostUser ? .server(group: socketGroup) : .client(retryMillis: 200),
            install: { body in dp.perform { access in port.queues = body(port.queues); access.rewatchVhost() } },
            log: { message in log.info("\(name): \(message)") },
            notify: { e in events?.record(e.kind, bridge: bridge, port: name, e.detail) })
        endpoint.start()
        log.info("\(p.name): vhost-user \(p.type == .vhostUser ? "listening on" : "connecting to") \(path) on \(bridge)")
        let link = LinkInfo(name: p.name, ifindex: 0, isUp: true, mtu: 0, mac: nil, alias: nil)
        return RealizedPort(config: p, bridge: bridge, id: id, fds: [], backend: VhostUserBackend(port: port), counters: counters, link: link,
                            vhost: endpoint)
    }

    private func rebuilt(_ rp: RealizedPort, with p: PortConfig) -> RealizedPort {
        RealizedPort(config: p, bridge: rp.bridge, id: rp.id, fds: rp.fds, backend: rp.backend, counters: rp.counters, link: rp.link,
                     vhost: rp.vhost, bond: rp.bond)
    }

    /// Closes the ports' fds and deletes the devices Tapestry owns (unless kept); one owned.json write.
    private func releaseAll(_ list: [RealizedPort], keepDevices: Bool) {
        var removed: [OwnedDevices.Device] = []
        for rp in list {
            for fd in rp.fds { Syscall.close(fd) }
            rp.vhost?.stop()
            counters[rp.config.name] = nil
            guard rp.config.type == .tap || rp.config.type == .internal, !keepDevices else { continue }
            do {
                try TapDevice.remove(name: rp.config.name, netns: rp.config.netns)
                removed.append(rp.device)
                log.info("\(rp.config.name): removed tap")
            } catch {
                log.warning("\(rp.config.name): could not remove tap: \(error)")
            }
        }
        do { try owned.remove(contentsOf: removed) } catch { log.warning("could not update owned devices: \(error)") }
    }
}
