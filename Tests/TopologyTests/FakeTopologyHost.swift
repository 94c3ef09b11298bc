import ControlProtocol
import NetworkController
import TapestryModel
@testable import Topology

/// An in-memory machine for `TopologyApplier`: namespaces with links and addresses, lab daemons
/// that keep bridges, ports and networks the way tapestryd does (ports with a netns appear there,
/// a started network brings its bridge and host port), and a log of every change in order.
/// `failOn` makes the first change whose log line starts with it fail.
final class FakeTopologyHost: TopologyHost {
    /// One fake tapestryd.
    struct Daemon {
        var namespace: String
        var bridges: [BridgeConfig] = []
        var networks: [String: (xml: String, active: Bool, autostart: Bool, bridge: String)] = [:]
    }

    var log: [String] = []
    var failOn: String?
    var links: [String: Set<String>] = [:]
    var addressTable: [String: [String: [String]]] = [:]
    var gateways: [String: IPv4Address] = [:]
    var forwardingOn: Set<String> = []
    var daemons: [String: Daemon] = [:]
    var pids: [Int32: String] = [:]
    var records: [String: LabRecord] = [:]
    var nextPID: Int32 = 1000

    /// Logs a change, or fails it when `failOn` says so.
    func change(_ line: String) throws(TopologyHostError) {
        if let f = failOn, line.hasPrefix(f) {
            failOn = nil
            log.append("FAILED " + line)
            throw TopologyHostError("injected failure: \(line)")
        }
        log.append(line)
    }

    func need(_ ns: String) throws(TopologyHostError) {
        guard links[ns] != nil else { throw TopologyHostError("no namespace \(ns)") }
    }

    // MARK: namespaces

    func namespaces() -> Set<String> { Set(links.keys) }

    func createNamespace(_ ns: String) throws(TopologyHostError) {
        guard links[ns] == nil else { throw TopologyHostError("namespace \(ns) exists") }
        try change("netns add \(ns)")
        links[ns] = ["lo"]
    }

    func deleteNamespace(_ ns: String) throws(TopologyHostError) {
        try need(ns)
        try change("netns del \(ns)")
        links[ns] = nil
        addressTable[ns] = nil
        gateways[ns] = nil
        forwardingOn.remove(ns)
        for (socket, d) in daemons where d.namespace == ns { daemons[socket] = nil }
        for (pid, socket) in pids where daemons[socket] == nil { pids[pid] = nil }
    }

    // MARK: links

    func interfaces(in ns: String) -> Set<String> { links[ns] ?? [] }

    func waitForInterface(_ name: String, in ns: String, seconds: Int) -> Bool { interfaces(in: ns).contains(name) }

    func createBridge(_ name: String, in ns: String) throws(TopologyHostError) {
        try need(ns)
        try change("bridge add \(name)@\(ns)")
        links[ns]?.insert(name)
    }

    func createVeth(_ name: String, in ns: String, peer: String, in peerNamespace: String) throws(TopologyHostError) {
        try need(ns)
        try need(peerNamespace)
        guard links[ns]?.contains(name) != true, links[peerNamespace]?.contains(peer) != true else {
            throw TopologyHostError("veth \(name) or \(peer) exists")
        }
        try change("veth add \(name)@\(ns) \(peer)@\(peerNamespace)")
        links[ns]?.insert(name)
        links[peerNamespace]?.insert(peer)
    }

    func deleteLink(_ name: String, in ns: String) throws(TopologyHostError) {
        guard links[ns]?.contains(name) == true else { return }
        try change("link del \(name)@\(ns)")
        links[ns]?.remove(name)
        addressTable[ns]?[name] = nil
    }

    func setUp(_ name: String, in ns: String, master: String?) throws(TopologyHostError) {
        guard links[ns]?.contains(name) == true else { throw TopologyHostError("no link \(name) in \(ns)") }
        log.append("link up \(name)@\(ns)" + (master.map { " master \($0)" } ?? ""))
    }

    // MARK: addresses and routes

    func addresses(in ns: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for l in links[ns] ?? [] { out[l] = addressTable[ns]?[l] ?? [] }
        return out
    }

    func addAddress(_ cidr: IPNetwork, to dev: String, in ns: String) throws(TopologyHostError) {
        guard links[ns]?.contains(dev) == true else { throw TopologyHostError("no link \(dev) in \(ns)") }
        if addressTable[ns]?[dev]?.contains(cidr.description) == true { return }
        try change("addr add \(cidr) \(dev)@\(ns)")
        addressTable[ns, default: [:]][dev, default: []].append(cidr.description)
    }

    func deleteAddress(_ cidr: IPNetwork, from dev: String, in ns: String) throws(TopologyHostError) {
        guard addressTable[ns]?[dev]?.contains(cidr.description) == true else { return }
        try change("addr del \(cidr) \(dev)@\(ns)")
        addressTable[ns]?[dev]?.removeAll { $0 == cidr.description }
    }

    func defaultGateway(in ns: String) -> IPv4Address? { gateways[ns] }

    func setDefaultRoute(via gateway: IPv4Address, dev: String, in ns: String) throws(TopologyHostError) {
        try need(ns)
        try change("route default via \(gateway)@\(ns)")
        gateways[ns] = gateway
    }

    func forwarding(in ns: String) -> Bool { forwardingOn.contains(ns) }

    func enableForwarding(in ns: String) throws(TopologyHostError) {
        try need(ns)
        try change("forwarding on \(ns)")
        forwardingOn.insert(ns)
    }

    func runDHCPClient(on dev: String, in ns: String, workDirectory: String) throws(TopologyHostError) {
        try need(ns)
        try change("dhcp \(dev)@\(ns)")
        addressTable[ns, default: [:]][dev] = ["192.168.150.100/24"]
        gateways[ns] = IPv4Address("192.168.150.1")
    }

    // MARK: daemons and sockets

    func startDaemon(_ host: LabHost, directory: String) throws(TopologyHostError) -> Int32 {
        guard let ns = host.namespace else { throw TopologyHostError("host \(host.name) is not a lab host") }
        try need(ns)
        try change("daemon start \(host.name)@\(ns)")
        daemons[host.socketPath] = Daemon(namespace: ns)
        nextPID += 1
        pids[nextPID] = host.socketPath
        return nextPID
    }

    func stopDaemon(pid: Int32, marker: String) {
        guard let socket = pids[pid] else { return }
        log.append("daemon stop \(daemons[socket]?.namespace ?? "?")")
        pids[pid] = nil
        guard let d = daemons.removeValue(forKey: socket) else { return }
        // tapestryd removes its taps when it stops.
        for b in d.bridges { for p in b.ports { links[p.netns ?? d.namespace]?.remove(p.name) } }
    }

    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, socket: String, timeout: Int) throws(TopologyHostError) -> M.Result {
        guard var d = daemons[socket] else { throw TopologyHostError("tapestryd at \(socket) is not running") }
        let result: Any
        switch params {
        case is ShowParams:
            result = ShowResult(generation: 1, bridges: d.bridges.map { b in
                BridgeStatus(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize, macCount: 0,
                             ports: b.ports.map { PortStatus(config: $0, state: "up") }, staticMACs: b.staticMACs)
            })
        case is Empty where M.name == Methods.NetList.name:
            result = NetworkListResult(networks: d.networks.sorted { $0.key < $1.key }.map { name, n in
                NetworkInfo(name: name, uuid: "", active: n.active, persistent: true, autostart: n.autostart, bridge: n.bridge, forwardMode: "nat")
            })
        case let p as NetworkDumpXMLParams:
            guard let n = d.networks[p.network] else { throw TopologyHostError("no network \(p.network)") }
            result = NetworkXMLResult(xml: n.xml)
        case let p as AddBridgeParams:
            try change("rpc add-br \(p.bridge.name)")
            d.bridges.append(p.bridge)
            result = Empty()
        case let p as DeleteBridgeParams:
            try change("rpc del-br \(p.bridge)")
            for port in d.bridges.first(where: { $0.name == p.bridge })?.ports ?? [] { links[port.netns ?? d.namespace]?.remove(port.name) }
            d.bridges.removeAll { $0.name == p.bridge }
            result = Empty()
        case let p as AddPortParams:
            let bridge = p.network.flatMap { d.networks[$0]?.bridge } ?? p.bridge
            guard let i = d.bridges.firstIndex(where: { $0.name == bridge }) else { throw TopologyHostError("no bridge \(bridge)") }
            try change("rpc add-port \(p.port.name)")
            d.bridges[i].ports.append(p.port)
            links[p.port.netns ?? d.namespace, default: []].insert(p.port.name)
            result = Empty()
        case let p as DeletePortParams:
            try change("rpc del-port \(p.port)")
            for i in d.bridges.indices {
                if let port = d.bridges[i].port(named: p.port) { links[port.netns ?? d.namespace]?.remove(port.name) }
                d.bridges[i].ports.removeAll { $0.name == p.port }
            }
            result = Empty()
        case let p as FDBEntryParams where M.name == Methods.FDBAdd.name:
            try change("rpc fdb-add \(p.mac)")
            if let i = d.bridges.firstIndex(where: { $0.name == p.bridge }), let port = p.port {
                d.bridges[i].staticMACs.append(StaticMAC(mac: p.mac, vlan: p.vlan, port: port, remote: p.remote))
            }
            result = Empty()
        case let p as NetworkXMLParams:
            let def = try? NetworkXMLParser.parse(p.xml)
            let name = def?.name ?? "?"
            try change("rpc net-define \(name)\(p.live == true ? " --live" : "")")
            let old = d.networks[name]
            d.networks[name] = (p.xml, old?.active ?? false, old?.autostart ?? false, def?.bridge.name ?? old?.bridge ?? "virbr9")
            result = NetworkInfo(name: name, uuid: "", active: old?.active ?? false, persistent: true, autostart: false, bridge: nil, forwardMode: "nat")
        case let p as NetworkAutostartParams:
            try change("rpc net-autostart \(p.network) \(p.enable)")
            d.networks[p.network]?.autostart = p.enable
            result = Empty()
        case let p as NetworkParams:
            guard let n = d.networks[p.network] else { throw TopologyHostError("no network \(p.network)") }
            switch M.name {
            case Methods.NetStart.name:
                try change("rpc net-start \(p.network)")
                d.networks[p.network]?.active = true
                d.bridges.append(BridgeConfig(name: n.bridge, mode: .learning, ports: [PortConfig(name: n.bridge, type: .internal)]))
                links[d.namespace, default: []].insert(n.bridge)
                result = Empty()
            case Methods.NetDestroy.name:
                try change("rpc net-destroy \(p.network)")
                d.networks[p.network]?.active = false
                for port in d.bridges.first(where: { $0.name == n.bridge })?.ports ?? [] { links[port.netns ?? d.namespace]?.remove(port.name) }
                d.bridges.removeAll { $0.name == n.bridge }
                result = Empty()
            case Methods.NetUndefine.name:
                try change("rpc net-undefine \(p.network)")
                if n.active { d.networks[p.network]?.xml = n.xml } else { d.networks[p.network] = nil }
                result = Empty()
            default:
                result = NetworkInfo(name: p.network, uuid: "", active: n.active, persistent: true, autostart: n.autostart,
                                     bridge: n.bridge, forwardMode: "nat")
            }
        default:
            throw TopologyHostError("the fake daemon does not know \(M.name)")
        }
        daemons[socket] = d
        guard let r = result as? M.Result else { throw TopologyHostError("fake result of \(M.name) has the wrong type") }
        return r
    }

    // MARK: the lab's record

    func readRecord(at path: String) -> LabRecord? { records[path] }
    func writeRecord(_ record: LabRecord, at path: String) { records[path] = record }
    func removeDirectory(_ path: String) {
        log.append("rm -r \(path)")
        for k in records.keys where k.hasPrefix(path + "/") { records[k] = nil }
    }
}
