import ControlProtocol
import Datapath
import Foundation
import HostSystem
import Logging
import SwitchCore
import TapestryModel

/// The daemon's control logic: every request runs here, one at a time. A change is validated,
/// made durable, applied to the host, and acknowledged only then; if applying it fails for the
/// object it touched, the previous state is restored and the error returned.
public final class DaemonService: @unchecked Sendable {
    public static let version = "0.1.0"

    private let lock = NSLock()
    private let store: ConfigStore
    let switchboard: Switchboard
    let datapath: Datapath
    /// Events for `tapestry events`.
    let events = EventLog()
    let macEventMarks = LockedBox<[String: UInt64]>([:])
    private let captureIDs = LockedBox(0)
    private let stopping = LockedBox(false)
    private let log: Logger
    private(set) var state: DesiredState
    /// The host side of libvirt-style networks (addresses, nft, dnsmasq, radvd).
    let networkManager: NetworkManager

    /// Loads the desired state, removes leftovers of a previous run, and reconciles the host to it.
    public init(stateDirectory: String, logger: Logger, pollMicros: UInt64 = Datapath.defaultSpinMicros) throws {
        log = logger
        store = ConfigStore(stateDirectory: stateDirectory)
        state = try store.load()
        datapath = try Datapath(spinMicros: pollMicros)
        switchboard = Switchboard(datapath: datapath, owned: OwnedDevices(stateDirectory: stateDirectory), logger: logger)
        networkManager = NetworkManager(stateDirectory: stateDirectory, logger: logger)
        switchboard.removeLeftovers(keeping: state)
        let failures = switchboard.reconcile(to: state)
        log.info("reconciled \(state.bridges.count) bridge(s), \(state.bridges.reduce(0) { $0 + $1.ports.count }) port(s), \(failures.count) failed")
        startNetworksAtLaunch()
        startEventDrain()
        startLinkMonitor()
    }

    /// Stops the datapath and takes ports down (owned taps are deleted unless `keepDevices`).
    /// Moves MAC table changes into the event log once a second, so that they keep their order
    /// with other events and the datapath's bounded ring does not overflow between readers.
    private func startEventDrain() {
        let t = Thread { [weak self] in
            while let service = self, !service.stopping.get() {
                service.locked { service.drainMACEvents() }
                Thread.sleep(forTimeInterval: 1)
            }
        }
        t.name = "tapestry-events"
        t.start()
    }

    public func shutdown(keepDevices: Bool) {
        stopping.set(true)
        stopLinkMonitor()
        lock.lock(); defer { lock.unlock() }
        networkManager.stopAll()
        switchboard.shutdown(keepDevices: keepDevices)
        datapath.stop()
    }

    func nextCaptureID() -> Int { captureIDs.update { n -> Int in n += 1; return n } }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    // MARK: - changes

    /// Applies `change` to the desired state; `touched` names the ports whose failure undoes it.
    func change(_ change: (DesiredState) throws(ModelError) -> DesiredState, touched: (DesiredState) -> Set<String>) throws {
        let old = state
        let next: DesiredState
        do { next = try change(old) } catch { throw RPCError(code: RPCError.operationFailed, message: error.message) }
        if next == old { return }
        try next.validate()
        try store.save(next)
        state = next
        let failures = switchboard.reconcile(to: next)
        let broken = touched(next).compactMap { name in failures[name].map { (name, $0) } }
        if let (_, reason) = broken.first {
            try store.save(old)
            state = old
            switchboard.reconcile(to: old)
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
            if let reason = switchboard.failures[p] { events.record("port-error", bridge: b, port: p, reason) }
            else { events.record("port-added", bridge: b, port: p, "port \(p) added to \(b)") }
        }
        for (p, b) in before where after[p] == nil { events.record("port-removed", bridge: b, port: p, "port \(p) removed from \(b)") }
    }

    // MARK: - reads

    func showResult(bridge: String?) throws -> ShowResult {
        let selected = try state.bridges.filter { b in bridge == nil || b.name == bridge }
            .nonEmpty(or: bridge.map { "could not show bridge \($0): no such bridge" })
        let macCounts: [String: Int] = datapath.perform { access in
            var d: [String: Int] = [:]
            for b in selected { d[b.name] = access.engine(b.name).map { $0.table.learnedCount + $0.table.staticCount } ?? 0 }
            return d
        }
        let bridges = selected.map { b in
            BridgeStatus(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize,
                         macCount: macCounts[b.name] ?? 0, ports: b.ports.map(portStatus), staticMACs: b.staticMACs,
                         warnings: tunnelMTUWarnings(b))
        }
        return ShowResult(generation: state.generation, bridges: bridges)
    }

    /// Ports whose MTU is larger than the bridge's tunnels can carry (underlay path MTU − 50).
    private func tunnelMTUWarnings(_ b: BridgeConfig) -> [String] {
        var warnings: [String] = []
        for tunnelPort in b.ports {
            guard let v = tunnelPort.vxlan else { continue }
            let mtus = v.remotes.compactMap { r -> (IPv4Address, Int)? in
                PathMTU.towards(r.value).map { (r, $0) }
            }
            guard let (remote, underlay) = mtus.min(by: { $0.1 < $1.1 }) else { continue }
            let carried = underlay - 50
            for p in b.ports where p.type != .vxlan {
                let mtu = switchboard.ports[p.name]?.link.mtu ?? p.mtu ?? 0
                if mtu > carried {
                    warnings.append("port \(p.name) has MTU \(mtu) but \(tunnelPort.name) carries at most \(carried) "
                        + "(underlay MTU \(underlay) to \(remote) minus 50): larger frames are dropped")
                }
            }
        }
        return warnings
    }

    private func portStatus(_ p: PortConfig) -> PortStatus {
        if switchboard.vanished.contains(p.name) {
            return PortStatus(config: p, state: "down", error: "network device \(p.name) is gone; waiting for it to come back",
                              operState: "absent", carrier: false)
        }
        if let reason = switchboard.failures[p.name] { return PortStatus(config: p, state: "error", error: reason) }
        guard let rp = switchboard.ports[p.name] else { return PortStatus(config: p, state: "down") }
        if p.type == .vxlan { return PortStatus(config: p, state: "up") }
        return PortStatus(config: p, state: rp.link.isRunning ? "up" : "down", ifindex: rp.link.ifindex, mac: rp.link.mac,
                          operState: rp.link.operState, carrier: rp.link.carrier)
    }

    func fdbShow(_ params: FDBShowParams) throws -> FDBShowResult {
        guard state.bridge(named: params.bridge) != nil else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show MAC table of \(params.bridge): no such bridge")
        }
        let names = switchboard.namesByID
        let vlan = params.vlan?.value
        let bridge = params.bridge
        return datapath.perform { access -> FDBShowResult in
            guard let engine = access.engine(bridge) else {
                return FDBShowResult(bridge: bridge, entries: [], capacity: 0, learned: 0, moved: 0, aged: 0, evicted: 0)
            }
            let now = access.now
            let t = engine.table
            let entries = t.entries().filter { vlan == nil || $0.vlan == vlan }.map { e in
                FDBEntry(port: names[e.port] ?? "#\(e.port)", vlan: Int(e.vlan), mac: e.mac.description,
                         age: e.isStatic ? 0 : Int(max(0, now - e.lastSeen) / 1000), isStatic: e.isStatic,
                         remote: e.remote == 0 ? nil : IPv4Address(value: e.remote).description)
            }
            return FDBShowResult(bridge: bridge, entries: entries, capacity: t.capacity, learned: t.learnedTotal,
                                 moved: t.movedTotal, aged: t.agedTotal, evicted: t.evictedTotal)
        }
    }

    func fdbFlush(_ params: FDBFlushParams) throws -> FDBFlushResult {
        guard let b = state.bridge(named: params.bridge) else {
            throw RPCError(code: RPCError.operationFailed, message: "could not flush MAC table of \(params.bridge): no such bridge")
        }
        var portID: UInt32? = nil
        if let port = params.port {
            guard b.port(named: port) != nil else {
                throw RPCError(code: RPCError.operationFailed, message: "could not flush MAC table of \(params.bridge): no such port \(port)")
            }
            portID = switchboard.ports[port]?.id
            if portID == nil { return FDBFlushResult(removed: 0) }
        }
        let bridge = params.bridge
        let target = portID
        let removed = datapath.perform { access in access.engine(bridge)?.table.flush(port: target) ?? 0 }
        return FDBFlushResult(removed: removed)
    }

    func stats(_ params: StatsParams) throws -> StatsResult {
        guard let b = state.bridge(named: params.bridge) else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show stats of \(params.bridge): no such bridge")
        }
        if let p = params.port, b.port(named: p) == nil {
            throw RPCError(code: RPCError.operationFailed, message: "could not show stats of \(p): no such port on bridge \(b.name)")
        }
        let ports = b.ports.filter { params.port == nil || $0.name == params.port }.map { p -> PortCountersSnapshot in
            guard let c = switchboard.counters(of: p.name) else {
                return PortCountersSnapshot(port: p.name, rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: [:])
            }
            var drops = c.dropsByName
            if let endpoint = switchboard.tunnel(of: p.name)?.counters {
                // Drops of the shared VXLAN socket that belong to no port (bad header, unknown VNI).
                for (reason, n) in endpoint.dropsByName { drops["tunnel-" + reason, default: 0] += n }
            }
            return PortCountersSnapshot(port: p.name, rxPackets: c.rxPackets, rxBytes: c.rxBytes, txPackets: c.txPackets,
                                        txBytes: c.txBytes, drops: drops)
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
