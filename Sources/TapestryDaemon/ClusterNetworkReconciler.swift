import ClusterModel
import ControlProtocol
import Foundation
import HostSystem
import Logging
import TapestryModel

/// The networks of the host's part of the fabric, realized through the network service as
/// `net-define` + `net-start` (+ `net-autostart`) would: a network that appears is defined and
/// started, one whose definition changed is destroyed and started again from the new one, one the
/// cluster no longer gives the host is destroyed and undefined. Only networks the cluster made are
/// touched (a local network of the same name is left alone and reported). What it made is kept in
/// `cluster-networks.json` beside `config.json`, which holds the networks themselves, so a restart
/// without etcd brings them back as it does local ones.
final class ClusterNetworkReconciler: @unchecked Sendable {
    /// What the cluster made of one network.
    struct Made: Codable, Equatable {
        var xml: String
        var autostart: Bool
    }
    /// The file's content: networks by name, and the ports put on network bridges (by bridge).
    struct Record: Codable {
        var networks: [String: Made] = [:]
        var ports: [String: [String]] = [:]
    }

    let networks: NetworkService
    let bridges: BridgeService
    let log: Logger
    private let file: String
    private let lock = NSLock()
    /// Under `lock`.
    private var record: Record

    init(networks: NetworkService, bridges: BridgeService, stateDirectory: String, logger: Logger) {
        self.networks = networks
        self.bridges = bridges
        log = logger
        file = stateDirectory + "/cluster-networks.json"
        let data = FileManager.default.contents(atPath: file) ?? Data()
        record = (try? JSONDecoder().decode(Record.self, from: data)) ?? Record()
    }

    /// Brings the host's networks to `wanted`; returns the problems, each naming its network.
    func converge(_ wanted: [ClusterNetwork]) -> [String] {
        lock.withLock {
            var problems: [String] = []
            let names = Set(wanted.map(\.name))
            networks.locked {
                for name in record.networks.keys.sorted() where !names.contains(name) {
                    do {
                        try remove(name)
                        record.networks[name] = nil
                        log.info("cluster: network \(name) removed (no longer in the host's part)")
                    } catch { problems.append("network \(name): could not remove it: \(Self.message(error))") }
                }
                for n in wanted {
                    if let p = realize(n) { problems.append(p) }
                }
            }
            save()
            return problems
        }
    }

    /// Defines and starts `n` unless it runs as wanted already; the problem, if any.
    private func realize(_ n: ClusterNetwork) -> String? {
        let existing = networks.state.network(named: n.name)
        let made = record.networks[n.name]
        if existing != nil && made == nil {
            return "network \(n.name): a network of that name was defined on the host, not by the cluster (left alone)"
        }
        do {
            if let existing, let made, made.xml == n.xml, existing.active {
                if made.autostart != n.autostart {
                    try networks.setAutostart(n.name, n.autostart)
                    record.networks[n.name]?.autostart = n.autostart
                }
                return nil
            }
            if existing != nil { try remove(n.name) }
            record.networks[n.name] = nil
            _ = try networks.defineNetwork(xml: n.xml)
            record.networks[n.name] = Made(xml: n.xml, autostart: false)
            try networks.startNetwork(n.name)
            if n.autostart { try networks.setAutostart(n.name, true) }
            record.networks[n.name] = Made(xml: n.xml, autostart: n.autostart)
            log.info("cluster: network \(n.name) started")
            return nil
        } catch {
            return "network \(n.name): \(Self.message(error))"
        }
    }

    /// Destroys (if running) and undefines a network the cluster made.
    private func remove(_ name: String) throws {
        guard let r = networks.state.network(named: name) else { return }
        if r.active { try networks.destroyNetwork(name) }
        if networks.state.network(named: name)?.persistent == true { try networks.undefineNetwork(name) }
    }

    /// The ports of the networks, by the bridge of each running network, each with the network's
    /// port settings (as `add-port --network` gives them); and the problems.
    func ports(_ wanted: [ClusterNetwork]) -> (ports: [String: [PortConfig]], problems: [String]) {
        var out: [String: [PortConfig]] = [:]
        var problems: [String] = []
        for n in wanted {
            for p in n.ports {
                let params = AddPortParams(bridge: "", port: p, mayExist: true, network: n.name)
                do {
                    let bridge = try bridges.bridgeForNewPort(params)
                    out[bridge, default: []].append(try bridges.portForNetwork(params))
                } catch {
                    problems.append(Self.message(error))
                }
            }
        }
        return (out, problems)
    }

    /// The ports the cluster put on network bridges, by bridge.
    var managedPorts: [String: Set<String>] {
        lock.withLock { record.ports.mapValues { Set($0) } }
    }

    func setManagedPorts(_ ports: [String: Set<String>]) {
        lock.withLock {
            let next = ports.mapValues { $0.sorted() }
            guard next != record.ports else { return }
            record.ports = next
            save()
        }
    }

    /// Under `lock`.
    private func save() {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { try AtomicFile.write(try e.encode(record), to: file) } catch {
            log.error("cluster: could not write \(file): \(error)")
        }
    }

    static func message(_ error: Error) -> String {
        (error as? RPCError)?.message ?? "\(error)"
    }
}
