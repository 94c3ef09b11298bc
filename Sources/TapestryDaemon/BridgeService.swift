import ControlProtocol
import Datapath
import Foundation
import HostSystem
import Logging
import SwitchCore
import TapestryModel
import VhostUser

/// Bridges and ports: owns the desired state (and its file) and the ports realized from it, under
/// one lock. `commit` is the one place that changes the desired state: it bumps the generation,
/// validates, persists, reconciles the host, and restores the previous state if a port the change
/// touched fails. Networks and the dispatcher change the state only through it.
final class BridgeService: @unchecked Sendable {
    private let lock = NSLock()
    private let store: ConfigStore
    /// The realized ports; only under the lock.
    let reconciler: PortReconciler
    let datapath: Datapath
    let events: EventLog
    private let log: Logger
    /// The desired state; only under the lock (`state` takes it).
    private(set) var current: DesiredState

    /// Loads the desired state, removes leftovers of a previous run, and reconciles the host to it.
    init(stateDirectory: String, datapath: Datapath, events: EventLog, logger: Logger, runDirectory: String = "/run/tapestry",
         socketGroup: gid_t? = nil) throws {
        log = logger
        self.events = events
        self.datapath = datapath
        store = ConfigStore(stateDirectory: stateDirectory)
        current = try store.load()
        reconciler = PortReconciler(datapath: datapath, owned: OwnedDevices(stateDirectory: stateDirectory), logger: logger,
                                    runDirectory: runDirectory, socketGroup: socketGroup, events: events)
        reconciler.removeLeftovers(keeping: current)
        let failures = reconciler.reconcile(to: current)
        log.info("reconciled \(current.bridges.count) bridge(s), \(current.bridges.reduce(0) { $0 + $1.ports.count }) port(s), \(failures.count) failed")
    }

    /// The desired state now (a copy).
    var state: DesiredState { lock.withLock { current } }

    /// Runs `body` with the desired state and the realized ports, under the lock.
    func read<T>(_ body: (DesiredState, PortReconciler) throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body(current, reconciler)
    }

    /// Takes the ports down (owned taps are deleted unless `keepDevices`).
    func shutdown(keepDevices: Bool) {
        lock.withLock { reconciler.shutdown(keepDevices: keepDevices) }
    }

    // MARK: - the one change path

    /// Applies `change` to the desired state as one new generation; `touched` names the ports whose
    /// failure undoes it. A change that changes nothing is no new generation.
    func commit(_ change: (DesiredState) throws(ModelError) -> DesiredState, touched: Set<String>, expectGeneration: Int? = nil) throws {
        lock.lock(); defer { lock.unlock() }
        let old = current
        if let expected = expectGeneration, expected != old.generation {
            throw RPCError(code: RPCError.generationMismatch,
                           message: "configuration changed (generation \(old.generation), expected \(expected)); read it again")
        }
        var next: DesiredState
        do { next = try change(old) } catch { throw RPCError(code: RPCError.operationFailed, message: error.message) }
        next.generation = old.generation
        if next == old { return }
        next.generation = old.generation + 1
        try next.validate()
        if let refusal = next.egressPolicyRefusal(comparedTo: old) { throw RPCError(code: RPCError.operationFailed, message: refusal) }
        try store.save(next)
        current = next
        let failures = reconciler.reconcile(to: next)
        let broken = touched.sorted().compactMap { name in failures[name] }
        if let reason = broken.first {
            try store.save(old)
            current = old
            reconciler.reconcile(to: old)
            throw RPCError(code: RPCError.operationFailed, message: reason)
        }
        log.info("config generation \(next.generation)")
        recordChanges(from: old, to: next)
    }

    /// Events for what a change did to bridges and ports.
    private func recordChanges(from old: DesiredState, to next: DesiredState) {
        events.record("config-changed", "generation \(next.generation)")
        var before: [String: String] = [:], after: [String: String] = [:]
        for b in old.bridges { for p in b.ports { before[p.name] = b.name } }
        for b in next.bridges { for p in b.ports { after[p.name] = b.name } }
        for (p, b) in after where before[p] == nil {
            if let reason = reconciler.failures[p] { events.record("port-error", bridge: b, port: p, reason) }
            else { events.record("port-added", bridge: b, port: p, "port \(p) added to \(b)") }
        }
        for (p, b) in before where after[p] == nil { events.record("port-removed", bridge: b, port: p, "port \(p) removed from \(b)") }
    }

    // MARK: - reads (under the lock)

    /// Runs `body` under the lock.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }


    func showResult(bridge: String?) throws -> ShowResult {
        let selected = try current.bridges.filter { b in bridge == nil || b.name == bridge }
            .nonEmpty(or: bridge.map { "could not show bridge \($0): no such bridge" })
        let macCounts: [String: Int] = datapath.perform { access in
            var d: [String: Int] = [:]
            for b in selected { d[b.name] = access.engine(b.name).map { $0.table.learnedCount + $0.table.staticCount } ?? 0 }
            return d
        }
        let bridges = selected.map { b in
            var status = BridgeStatus(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize,
                         macCount: macCounts[b.name] ?? 0, ports: b.ports.map(portStatus), staticMACs: b.staticMACs,
                         warnings: tunnelMTUWarnings(b))
            status.stp = b.stp
            return status
        }
        let records = bridge == nil && !current.ovsRecords.isEmpty ? current.ovsRecords : nil
        return ShowResult(generation: current.generation, bridges: bridges, ovsRecords: records)
    }

    /// Ports whose MTU is larger than the bridge's tunnels can carry (underlay path MTU − 50, − 70 over IPv6).
    private func tunnelMTUWarnings(_ b: BridgeConfig) -> [String] {
        var warnings: [String] = []
        for tunnelPort in b.ports {
            guard let v = tunnelPort.vxlan else { continue }
            let mtus = v.remotes.compactMap { r -> (IPAddress, Int)? in
                PathMTU.towards(r).map { (r, $0) }
            }
            guard let (remote, underlay) = mtus.min(by: { $0.1 < $1.1 }) else { continue }
            // Outer Ethernet + IP + UDP + VXLAN: 50 bytes over IPv4, 70 over IPv6.
            let overhead = remote.family == .ipv6 ? 70 : 50
            let carried = underlay - overhead
            for p in b.ports where p.type.hasNetdev {
                let mtu = reconciler.ports[p.name]?.link.mtu ?? p.mtu ?? 0
                if mtu > carried {
                    warnings.append("port \(p.name) has MTU \(mtu) but \(tunnelPort.name) carries at most \(carried) "
                        + "(underlay MTU \(underlay) to \(remote) minus \(overhead)): larger frames are dropped")
                }
            }
        }
        return warnings
    }

    private func portStatus(_ p: PortConfig) -> PortStatus {
        var status = linkStatus(p)
        if let (role, state) = reconciler.spanningTree.roleAndState(of: p.name) { status.stpRole = role; status.stpState = state }
        return status
    }

    private func linkStatus(_ p: PortConfig) -> PortStatus {
        if reconciler.vanished.contains(p.name) {
            return PortStatus(config: p, state: "down", error: "network device \(p.name) is gone; waiting for it to come back",
                              operState: "absent", carrier: false)
        }
        if let reason = reconciler.failures[p.name] { return PortStatus(config: p, state: "error", error: reason) }
        guard let rp = reconciler.ports[p.name] else { return PortStatus(config: p, state: "down") }
        if let endpoint = rp.vhost {
            let s = endpoint.status
            let v = VhostUserPortStatus(socketPath: endpoint.path, connected: s.connected,
                                        features: VhostUserFeatures.names(s.features),
                                        protocolFeatures: VhostUserFeatures.protocolNames(s.protocolFeatures),
                                        receiveQueues: s.receiveQueues, transmitQueues: s.transmitQueues,
                                        connections: s.connections, lastError: s.lastError, queueCounters: rp.vhostQueueStats)
            return PortStatus(config: p, state: s.connected ? "up" : "down", vhostUser: v)
        }
        if let bond = rp.bond {
            var status = PortStatus(config: p, state: bond.controller.enabled.contains(true) ? "up" : "down")
            status.bondMembers = BridgeService.memberStatus(bond)
            return status
        }
        if !p.type.hasNetdev { return PortStatus(config: p, state: "up") }
        return PortStatus(config: p, state: rp.link.isRunning ? "up" : "down", ifindex: rp.link.ifindex, mac: rp.link.mac.flatMap(MACAddress.init),
                          operState: rp.link.operState, carrier: rp.link.carrier)
    }

    func fdbShow(_ params: FDBShowParams) throws -> FDBShowResult {
        guard current.bridge(named: params.bridge) != nil else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show MAC table of \(params.bridge): no such bridge")
        }
        let names = reconciler.namesByID
        let vlan = params.vlan?.value
        let bridge = params.bridge
        return datapath.perform { access -> FDBShowResult in
            guard let engine = access.engine(bridge) else {
                return FDBShowResult(bridge: bridge, entries: [], capacity: 0, learned: 0, moved: 0, aged: 0, evicted: 0)
            }
            let now = access.now
            let t = engine.table
            // The table holds only classified VLANs (1-4094).
            let entries = t.entries().filter { vlan == nil || $0.vlan == vlan }.compactMap { e in
                VLANID(Int(e.vlan)).map { v in
                    FDBEntry(port: names[e.port] ?? "#\(e.port)", vlan: v, mac: e.mac,
                             age: e.isStatic ? 0 : Int(max(0, now - e.lastSeen) / 1000), isStatic: e.isStatic,
                             remote: TunnelRemoteKey.address(of: e.remote))
                }
            }
            return FDBShowResult(bridge: bridge, entries: entries, capacity: t.capacity, learned: t.learnedTotal,
                                 moved: t.movedTotal, aged: t.agedTotal, evicted: t.evictedTotal)
        }
    }

    func fdbFlush(_ params: FDBFlushParams) throws -> FDBFlushResult {
        guard let b = current.bridge(named: params.bridge) else {
            throw RPCError(code: RPCError.operationFailed, message: "could not flush MAC table of \(params.bridge): no such bridge")
        }
        var portID: UInt32? = nil
        if let port = params.port {
            guard b.port(named: port) != nil else {
                throw RPCError(code: RPCError.operationFailed, message: "could not flush MAC table of \(params.bridge): no such port \(port)")
            }
            portID = reconciler.ports[port]?.id
            if portID == nil { return FDBFlushResult(removed: 0) }
        }
        let bridge = params.bridge
        let target = portID
        let removed = datapath.perform { access in access.engine(bridge)?.table.flush(port: target) ?? 0 }
        return FDBFlushResult(removed: removed)
    }

    func stats(_ params: StatsParams) throws -> StatsResult {
        guard let b = current.bridge(named: params.bridge) else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show stats of \(params.bridge): no such bridge")
        }
        if let p = params.port, b.port(named: p) == nil {
            throw RPCError(code: RPCError.operationFailed, message: "could not show stats of \(p): no such port on bridge \(b.name)")
        }
        let ports = b.ports.filter { params.port == nil || $0.name == params.port }.map { p -> PortCountersSnapshot in
            guard let c = reconciler.counters(of: p.name) else {
                return PortCountersSnapshot(port: p.name, rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: [:])
            }
            var drops = c.dropsByName
            if let tunnel = reconciler.tunnel(of: p.name)?.counters {
                // Drops of the shared VXLAN socket that belong to no port (bad header, unknown VNI).
                for (reason, n) in tunnel.dropsByName { drops["tunnel-" + reason, default: 0] += n }
            }
            return PortCountersSnapshot(port: p.name, rxPackets: c.rxPackets, rxBytes: c.rxBytes, txPackets: c.txPackets,
                                        txBytes: c.txBytes, drops: drops, arpAnswered: c.arpAnswered > 0 ? c.arpAnswered : nil,
                                        vhostQueues: reconciler.ports[p.name]?.vhostQueueStats)
        }
        return StatsResult(bridge: b.name, ports: ports)
    }
}

extension Array {
    func nonEmpty(or message: String?) throws -> [Element] {
        if isEmpty, let message { throw RPCError(code: RPCError.operationFailed, message: message) }
        return self
    }
}
