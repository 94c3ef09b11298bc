import ControlProtocol
import Foundation
import HostSystem
import Logging
import NetworkController
import TapestryModel

/// Networks: the `net-*` methods. A libvirt-style network is stored in the desired state
/// (`networks`, changed only through `BridgeService.commit`) and realized as a Tapestry bridge
/// with an internal port of the same name plus `NetworkManager`'s host side (addresses, nft,
/// dnsmasq, radvd). One lock serializes the network lifecycle; it is taken before the bridges'
/// lock, never after. Errors read `could not <verb> network <name>: <cause>`.
final class NetworkService: @unchecked Sendable {
    private let lock = NSLock()
    let bridges: BridgeService
    /// The host side of libvirt-style networks (addresses, nft, dnsmasq, radvd).
    let networkManager: NetworkManager

    init(stateDirectory: String, bridges: BridgeService, logger: Logger) {
        self.bridges = bridges
        networkManager = NetworkManager(stateDirectory: stateDirectory, logger: logger)
    }

    var state: DesiredState { bridges.state }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    func register(in table: MethodTable) {
        table.handle(Methods.NetDefine.self, by: .networks) { [unowned self] p in try locked { try defineNetwork(xml: p.xml, live: p.live ?? false) } }
        table.handle(Methods.NetCreate.self, by: .networks) { [unowned self] p in try locked { try createNetwork(xml: p.xml) } }
        table.handle(Methods.NetStart.self, by: .networks) { [unowned self] p in try locked { try startNetwork(p.network) }; return Empty() }
        table.handle(Methods.NetDestroy.self, by: .networks) { [unowned self] p in try locked { try destroyNetwork(p.network) }; return Empty() }
        table.handle(Methods.NetUndefine.self, by: .networks) { [unowned self] p in try locked { try undefineNetwork(p.network) }; return Empty() }
        table.handle(Methods.NetAutostart.self, by: .networks) { [unowned self] p in
            try locked { try setAutostart(p.network, p.enable) }
            return Empty()
        }
        table.handle(Methods.NetList.self, by: .networks) { [unowned self] _ in
            locked { NetworkListResult(networks: state.networks.map(info)) }
        }
        table.handle(Methods.NetInfo.self, by: .networks) { [unowned self] p in try locked { info(try record(p.network, verb: "show")) } }
        table.handle(Methods.NetDumpXML.self, by: .networks) { [unowned self] p in
            let r = try record(p.network, verb: "dump XML of")
            return NetworkXMLResult(xml: p.inactive ? r.xml : r.currentXML)
        }
        table.handle(Methods.NetUpdate.self, by: .networks) { [unowned self] p in try locked { try updateNetwork(p) }; return Empty() }
        table.handle(Methods.NetDHCPLeases.self, by: .networks) { [unowned self] p in try locked { try networkLeases(p) } }
    }

    /// The helpers' state for the metrics: by network, each helper's name, whether it runs, its restarts.
    func helperStatus() -> [String: [(helper: String, up: Bool, restarts: Int)]] {
        locked {
            var out: [String: [(helper: String, up: Bool, restarts: Int)]] = [:]
            for (name, running) in networkManager.running {
                out[name] = [("dnsmasq", running.dnsmasq), ("radvd", running.radvd)].compactMap { helper, process in
                    process.map { (helper, $0.currentPID != nil, $0.restartCount) }
                }
            }
            return out
        }
    }

    /// Stops every network's host side (daemon shutdown).
    func shutdown() { locked { networkManager.stopAll() } }

    // MARK: - lookups

    static func refuse(_ message: String) -> RPCError { RPCError(code: RPCError.operationFailed, message: message) }

    /// The network named `nameOrUUID` (a name, else a uuid in any case).
    func record(_ nameOrUUID: String, verb: String) throws -> NetworkRecord {
        if let r = state.network(named: nameOrUUID) { return r }
        if let r = state.networks.first(where: { $0.uuid.lowercased() == nameOrUUID.lowercased() }) { return r }
        throw Self.refuse("could not \(verb) network \(nameOrUUID): no such network")
    }

    func definition(_ xml: String, of name: String) throws -> NetworkDefinition {
        do { return try NetworkXMLParser.parse(xml) } catch {
            throw Self.refuse("could not read the stored definition of network \(name): \(error)")
        }
    }

    func info(_ r: NetworkRecord) -> NetworkInfo {
        let running = networkManager.running[r.name]
        let def = try? NetworkXMLParser.parse(r.currentXML)
        let mode = def?.forward.mode.rawValue ?? "?"
        return NetworkInfo(name: r.name, uuid: r.uuid, active: r.active, persistent: r.persistent, autostart: r.autostart,
                           bridge: r.bridge ?? def?.attachedBridge, forwardMode: mode,
                           dnsmasqPID: running?.dnsmasq?.currentPID, radvdPID: running?.radvd?.currentPID,
                           dnsmasqRestarts: running?.dnsmasq?.restartCount, radvdRestarts: running?.radvd?.restartCount,
                           stateDirectory: networkManager.paths(r.name).directory)
    }

    // MARK: - define, create, undefine

    /// Parses `xml` and fills in uuid, MAC and bridge name (kept from an existing definition of
    /// the same name, else generated); refuses names, uuids and bridges that clash.
    private func prepareDefinition(_ xml: String, verb: String) throws -> NetworkDefinition {
        var def: NetworkDefinition
        do { def = try NetworkXMLParser.parse(xml) } catch { throw Self.refuse("could not \(verb) network: \(error)") }
        let what = "could not \(verb) network \(def.name)"
        let existing = state.network(named: def.name)
        if let uuid = def.uuid, let other = state.networks.first(where: { $0.uuid.lowercased() == uuid.lowercased() }), other.name != def.name {
            throw Self.refuse("\(what): network \(other.name) already has uuid \(uuid)")
        }
        if let existing, let uuid = def.uuid, uuid.lowercased() != existing.uuid.lowercased() {
            throw Self.refuse("\(what): network \(def.name) already exists with uuid \(existing.uuid)")
        }
        if let existing, let old = try? NetworkXMLParser.parse(existing.xml) {
            if def.uuid == nil { def.uuid = old.uuid }
            if def.mac == nil { def.mac = old.mac }
            if def.bridge.name == nil && def.forward.mode.hasOwnBridge { def.bridge.name = old.bridge.name }
        }
        var used = Set(state.networks.filter { $0.name != def.name }.compactMap(\.bridge))
        for b in state.bridges where state.network(onBridge: b.name)?.name != def.name {
            used.insert(b.name)
            for p in b.ports { used.insert(p.name) }
        }
        def = def.fillingDefaults(usedBridgeNames: used)
        do { try NetworkPortSettings.validate(def) } catch { throw Self.refuse("\(what): \(error.message)") }
        if let bridge = def.bridge.name, def.forward.mode.hasOwnBridge {
            do { try InterfaceName.validate(bridge, what: "bridge name") } catch { throw Self.refuse("\(what): \(error.message)") }
            if let other = state.networks.first(where: { $0.name != def.name && $0.bridge == bridge }) {
                throw Self.refuse("\(what): bridge \(bridge) is used by network \(other.name)")
            }
            if used.contains(bridge) { throw Self.refuse("\(what): a bridge or port named \(bridge) exists") }
        }
        return def
    }

    /// Stores `xml` as the network's persistent definition; with `live`, a running network of that
    /// name is brought to it at once (only what differs changes) and runs it from now on.
    func defineNetwork(xml: String, live: Bool = false) throws -> NetworkInfo {
        let def = try prepareDefinition(xml, verb: "define")
        let text = NetworkXMLWriter.write(def)
        let bridge = def.forward.mode.hasOwnBridge ? def.bridge.name : nil
        let changesLive = live && state.network(named: def.name)?.active == true
        if changesLive {
            do { try reconcileHost(to: def) } catch {
                throw Self.refuse("could not define network \(def.name) live: \(error)")
            }
        }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            if let i = next.networks.firstIndex(where: { $0.name == def.name }) {
                next.networks[i].xml = text
                next.networks[i].persistent = true
                if !next.networks[i].active { next.networks[i].bridge = bridge }
                if changesLive { next.networks[i].liveXML = text }
            } else {
                next.networks.append(NetworkRecord(name: def.name, uuid: def.uuid ?? "", bridge: bridge, xml: text, persistent: true))
            }
            return next
        }, touched: [])
        networkManager.log.info("network \(def.name): defined")
        var result = info(try record(def.name, verb: "define"))
        result.notes = def.settingsNotActedOn
        return result
    }

    func createNetwork(xml: String) throws -> NetworkInfo {
        let def = try prepareDefinition(xml, verb: "create")
        if state.network(named: def.name) != nil { throw Self.refuse("could not create network \(def.name): network already exists") }
        let text = NetworkXMLWriter.write(def)
        try bridges.commit({ s throws(ModelError) in
            var next = s
            next.networks.append(NetworkRecord(name: def.name, uuid: def.uuid ?? "", bridge: def.forward.mode.hasOwnBridge ? def.bridge.name : nil,
                                               xml: text, persistent: true))
            return next
        }, touched: [])
        do { try startNetwork(def.name, transient: true) } catch {
            try? bridges.commit({ s throws(ModelError) in
                var next = s
                next.networks.removeAll { $0.name == def.name }
                return next
            }, touched: [])
            throw error
        }
        var result = info(try record(def.name, verb: "create"))
        result.notes = def.settingsNotActedOn
        return result
    }

    func undefineNetwork(_ nameOrUUID: String) throws {
        let r = try record(nameOrUUID, verb: "undefine")
        guard r.persistent else { throw Self.refuse("could not undefine network \(r.name): network is not persistent") }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            if r.active {
                // A running network becomes transient: it goes away when destroyed.
                if let i = next.networks.firstIndex(where: { $0.name == r.name }) {
                    next.networks[i].persistent = false
                    next.networks[i].autostart = false
                    next.networks[i].xml = r.currentXML
                }
            } else {
                next.networks.removeAll { $0.name == r.name }
            }
            return next
        }, touched: [])
        if !r.active { networkManager.removeFiles(r.name) }
    }

    func setAutostart(_ nameOrUUID: String, _ enable: Bool) throws {
        let r = try record(nameOrUUID, verb: "set autostart of")
        guard r.persistent else { throw Self.refuse("could not set autostart of network \(r.name): network is transient") }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            if let i = next.networks.firstIndex(where: { $0.name == r.name }) { next.networks[i].autostart = enable }
            return next
        }, touched: [])
    }

    // MARK: - start and destroy

    func startNetwork(_ nameOrUUID: String, transient: Bool = false) throws {
        let r = try record(nameOrUUID, verb: "start")
        let what = "could not start network \(r.name)"
        guard !r.active else { throw Self.refuse("\(what): network is already active") }
        let def = try definition(r.xml, of: r.name)
        if def.forward.mode == .bridge { return try startAttachedNetwork(r, def, transient: transient) }
        guard def.forward.mode.hasOwnBridge else {
            throw Self.refuse("\(what): forward mode '\(def.forward.mode.rawValue)' is not supported by Tapestry (nat, route, open, isolated and bridge are)")
        }
        guard let bridge = def.bridge.name else { throw Self.refuse("\(what): no bridge name") }
        if state.bridge(named: bridge) != nil || state.bridge(holdingPort: bridge) != nil {
            throw Self.refuse("\(what): a bridge or port named \(bridge) already exists")
        }
        if let mtu = def.mtu, !(68...65521).contains(mtu) { throw Self.refuse("\(what): MTU \(mtu) out of range 68-65521") }
        let mac = def.mac
        let port = PortConfig(name: bridge, type: .internal, mtu: def.mtu.map(Int.init), mac: mac)
        do {
            try bridges.commit({ s throws(ModelError) in
                var next = s
                var config = BridgeConfig(name: bridge, mode: .learning, ports: [port])
                config.stp = NetworkService.spanningTree(of: def)
                next.bridges.append(config)
                if let i = next.networks.firstIndex(where: { $0.name == r.name }) {
                    next.networks[i].active = true
                    next.networks[i].liveXML = r.xml
                    next.networks[i].bridge = bridge
                    if transient { next.networks[i].persistent = false }
                }
                    return next
            }, touched: [bridge])
        } catch let e as RPCError {
            throw Self.refuse(e.message.hasPrefix("could not") ? e.message : "\(what): \(e.message)")
        }
        do {
            try networkManager.start(def)
        } catch {
            try? removeNetworkBridge(r.name, bridge: bridge, keepRecord: true)
            throw Self.refuse("\(what): \(error)")
        }
    }

    func destroyNetwork(_ nameOrUUID: String) throws {
        let r = try record(nameOrUUID, verb: "destroy")
        guard r.active else { throw Self.refuse("could not destroy network \(r.name): network is not active") }
        if let def = try? definition(r.currentXML, of: r.name), def.forward.mode == .bridge {
            return try destroyAttachedNetwork(r)
        }
        networkManager.stop(r.name)
        try removeNetworkBridge(r.name, bridge: r.bridge, keepRecord: r.persistent)
    }

    /// Takes the network's bridge (with every port on it) out of the desired state and marks the
    /// network inactive, or forgets a transient one.
    private func removeNetworkBridge(_ name: String, bridge: String?, keepRecord: Bool) throws {
        // Stopped, the network is its persistent definition again (whose bridge name may differ).
        let persistentBridge = state.network(named: name).flatMap { try? NetworkXMLParser.parse($0.xml) }
            .flatMap { $0.forward.mode.hasOwnBridge ? $0.bridge.name : nil }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            if let bridge { next.bridges.removeAll { $0.name == bridge } }
            if keepRecord, let i = next.networks.firstIndex(where: { $0.name == name }) {
                next.networks[i].active = false
                next.networks[i].liveXML = nil
                next.networks[i].bridge = persistentBridge ?? bridge
                if !next.networks[i].persistent { next.networks.remove(at: i) }
            } else {
                next.networks.removeAll { $0.name == name }
            }
            return next
        }, touched: [])
        if state.network(named: name) == nil { networkManager.removeFiles(name) }
    }

    // MARK: - update and leases

    func updateNetwork(_ p: NetworkUpdateParams) throws {
        let r = try record(p.network, verb: "update")
        let what = "could not update network \(r.name)"
        guard let command = NetworkUpdateCommand(rawValue: p.command) else {
            throw Self.refuse("\(what): unknown command '\(p.command)' (\(NetworkUpdateCommand.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let section = NetworkUpdateSection(rawValue: p.section) else {
            throw Self.refuse("\(what): unknown section '\(p.section)' (\(NetworkUpdateSection.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let live = p.live || (!p.config && r.active)
        let config = p.config || (!p.live && !r.active)
        if live && !r.active { throw Self.refuse("\(what): network is not active (--live)") }
        if config && !r.persistent && !live { throw Self.refuse("\(what): network is transient (--config)") }
        var newXML = r.xml
        var newLive = r.liveXML
        do {
            if config && r.persistent {
                newXML = NetworkXMLWriter.write(try definition(r.xml, of: r.name)
                    .updating(command: command, section: section, xml: p.xml, parentIndex: p.parentIndex))
            }
            if live {
                let next = try definition(r.currentXML, of: r.name)
                    .updating(command: command, section: section, xml: p.xml, parentIndex: p.parentIndex)
                try reconcileHost(to: next)
                newLive = NetworkXMLWriter.write(next)
                if !r.persistent { newXML = newLive ?? newXML }
            }
        } catch let e as NetworkXMLError {
            throw Self.refuse(e.message.hasPrefix("could not") ? e.message : "\(what): \(e.message)")
        } catch let e as RPCError {
            throw e
        } catch {
            throw Self.refuse("\(what): \(error)")
        }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            if let i = next.networks.firstIndex(where: { $0.name == r.name }) {
                next.networks[i].xml = newXML
                next.networks[i].liveXML = newLive
            }
            return next
        }, touched: [])
    }

    func networkLeases(_ p: NetworkLeasesParams) throws -> NetworkLeasesResult {
        let r = try record(p.network, verb: "show leases of")
        guard r.active else { throw Self.refuse("could not show leases of network \(r.name): network is not active") }
        let def = try definition(r.currentXML, of: r.name)
        return NetworkLeasesResult(network: r.name, leases: networkManager.leases(def, mac: p.mac))
    }

    // MARK: - daemon start

    /// At daemon start (the bridges are reconciled already): ends leftovers of a crashed run,
    /// brings back the host side of networks that were active, then starts autostart networks.
    func startNetworksAtLaunch() {
        lock.lock(); defer { lock.unlock() }
        let log = networkManager.log
        let inactive = state.networks.filter { !$0.active }.compactMap { try? NetworkXMLParser.parse($0.xml) }
        networkManager.removeLeftovers(inactive: inactive)
        for r in state.networks where r.active {
            do {
                let def = try definition(r.currentXML, of: r.name)
                if let bridge = def.bridge.name, state.bridge(named: bridge) == nil {
                    throw Self.refuse("its bridge \(bridge) is missing from the configuration")
                }
                if def.forward.mode == .bridge { continue }  // no host side: the bridge and its ports are the switch's
                try networkManager.start(def)
            } catch {
                log.error("network \(r.name): could not restore: \(error)")
                try? removeNetworkBridge(r.name, bridge: r.bridge, keepRecord: true)
            }
        }
        for r in state.networks where r.autostart && !r.active {
            do { try startNetwork(r.name) } catch { log.error("network \(r.name): autostart failed: \(error)") }
        }
    }
}
