import ControlProtocol
import TapestryModel

/// The steps of a plan, made through the host and the daemons' control API, each returning the steps that undo it.
extension TopologyApplier {
    /// Makes one change; returns the steps that undo it.
    func perform(_ step: ChangeStep) throws(TopologyHostError) -> [ChangeStep] {
        switch step {
        case .createNamespace(let ns):
            try host.createNamespace(ns)
            if !model.hosts.contains(where: { $0.namespace == ns }) && !record.namespaces.contains(ns) {
                record.namespaces.append(ns)
                saveRecord()
            }
            return [.deleteNamespace(ns)]
        case .deleteNamespace(let ns):
            try host.deleteNamespace(ns)
            record.namespaces.removeAll { $0 == ns }
            return []
        case .startDaemon(let h):
            guard let lh = model.host(named: h) else { throw TopologyHostError("no host \(h)") }
            let pid = try host.startDaemon(lh, directory: model.directory + "/hosts/" + h)
            record.hosts.removeAll { $0.name == h }
            record.hosts.append(LabRecord.Host(name: h, namespace: lh.namespace, socketPath: lh.socketPath, pid: pid,
                                               stateDirectory: lh.stateDirectory))
            saveRecord()
            return [.stopDaemon(host: h)]
        case .stopDaemon(let h):
            if let r = record.host(named: h), let pid = r.pid, let marker = r.stateDirectory {
                host.stopDaemon(pid: pid, marker: marker)
            }
            if let i = record.hosts.firstIndex(where: { $0.name == h }) { record.hosts[i].pid = nil }
            return []
        case .createUnderlayBridge(let ns):
            try host.createBridge(LabUnderlay.bridgeName, in: ns)
            return []
        case .createUnderlayLink(let l, let ul):
            // A veth made directly in the two lab namespaces: ul0 in the host, h-<host> on the underlay bridge.
            try? host.deleteLink(LabUnderlay.hostInterface, in: l.hostNamespace)
            try host.createVeth(LabUnderlay.hostInterface, in: l.hostNamespace, peer: l.peer, in: ul)
            try host.setUp(l.peer, in: ul, master: LabUnderlay.bridgeName)
            try host.addAddress(l.address, to: LabUnderlay.hostInterface, in: l.hostNamespace)
            try host.setUp(LabUnderlay.hostInterface, in: l.hostNamespace, master: nil)
            return []
        case .setForwarding(let h):
            guard let ns = model.host(named: h)?.namespace else { throw TopologyHostError("host \(h) is not a lab host") }
            try host.enableForwarding(in: ns)
            return []
        case .createNodeLink(let name):
            guard let n = model.nodes.first(where: { $0.name == name }), case .link(let hostName, let addr) = n.attachment,
                  let hostNS = model.host(named: n.host)?.namespace else { throw TopologyHostError("node \(name) has no link on a lab host") }
            try? host.deleteLink(hostName, in: hostNS)
            try host.createVeth(n.interface, in: n.namespace, peer: hostName, in: hostNS)
            if let addr { try host.addAddress(addr.ipNetwork, to: hostName, in: hostNS) }
            try host.setUp(hostName, in: hostNS, master: nil)
            try host.setUp(n.interface, in: n.namespace, master: nil)
            return []
        case .configureNode(let name):
            try configureNode(name)
            return []
        case .addAddress(let h, let a):
            guard let ns = model.host(named: h)?.namespace else { throw TopologyHostError("host \(h) is not a lab host") }
            try host.addAddress(try Self.cidr(a).ipNetwork, to: a.interface, in: ns)
            try host.setUp(a.interface, in: ns, master: nil)
            return [.deleteAddress(host: h, a)]
        case .deleteAddress(let h, let a):
            guard let ns = model.host(named: h)?.namespace ?? record.host(named: h)?.namespace else { return [] }
            try host.deleteAddress(try Self.cidr(a).ipNetwork, from: a.interface, in: ns)
            return [.addAddress(host: h, a)]
        default:
            return try performOnDaemon(step)
        }
    }

    static func cidr(_ a: InterfaceAddress) throws(TopologyHostError) -> IPv4CIDR {
        guard let c = IPv4CIDR(a.address) else { throw TopologyHostError("address \(a.address) on \(a.interface) is not A.B.C.D/N") }
        return c
    }

    /// The steps on what a daemon holds: bridges, ports, static MACs, networks.
    func performOnDaemon(_ step: ChangeStep) throws(TopologyHostError) -> [ChangeStep] {
        switch step {
        case .addBridge(let h, let b):
            var bare = b
            bare.ports = []
            bare.staticMACs = []
            _ = try call(Methods.AddBridge.self, AddBridgeParams(bridge: bare, mayExist: false), host: h)
            return [.deleteBridge(host: h, bare)]
        case .setBridge(let h, let old, let new):
            var params = SetBridgeParams(bridge: new.name, mode: new.mode, macAging: new.macAging, macTableSize: new.macTableSize)
            if new.stp != old.stp {
                params.stp = new.stp?.mode.rawValue ?? "off"
                if let stp = new.stp {
                    params.stpPriority = stp.priority; params.stpHello = stp.hello
                    params.stpMaxAge = stp.maxAge; params.stpForwardDelay = stp.forwardDelay
                }
            }
            _ = try call(Methods.SetBridge.self, params, host: h)
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
            _ = try call(Methods.SetPort.self, Self.setPortParams(bridge: b, new), host: h)
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
        case .changeNetwork(let h, let old, let xml):
            _ = try call(Methods.NetDefine.self, NetworkXMLParams(xml: xml, live: true), host: h)
            return [.changeNetwork(host: h, old: ObservedNetwork(name: old.name, xml: xml, active: true, autostart: old.autostart,
                                                                bridge: old.bridge), xml: old.xml)]
        case .deleteNetwork(let h, let n):
            if n.active { _ = try call(Methods.NetDestroy.self, NetworkParams(network: n.name), host: h) }
            _ = try call(Methods.NetUndefine.self, NetworkParams(network: n.name), host: h)
            return n.active ? [.createNetwork(host: h, name: n.name, xml: n.xml, autostart: n.autostart)] : []
        case .setAutostart(let h, let n, let on):
            _ = try call(Methods.NetAutostart.self, NetworkAutostartParams(network: n, enable: on), host: h)
            return [.setAutostart(host: h, network: n, !on)]
        default:
            throw TopologyHostError("step \(step) is not a daemon step")
        }
    }

    /// `set-port` parameters that turn any VLAN role and policy into `p`'s.
    static func setPortParams(bridge: String, _ p: PortConfig) -> SetPortParams {
        var params = vlanParams(bridge: bridge, p)
        params.policy = PortPolicyEdit(values: p.policy ?? PortPolicy(), clear: PortPolicyEdit.Clear.allCases)
        return params
    }

    private static func vlanParams(bridge: String, _ p: PortConfig) -> SetPortParams {
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
    func configureNode(_ name: String) throws(TopologyHostError) {
        guard let n = model.nodes.first(where: { $0.name == name }) else { throw TopologyHostError("no node \(name)") }
        guard host.waitForInterface(n.interface, in: n.namespace, seconds: 5) else {
            throw TopologyHostError("interface \(n.interface) did not appear in \(n.namespace)")
        }
        try host.setUp(n.interface, in: n.namespace, master: nil)
        switch n.address {
        case .staticAddress(let c)?:
            try host.addAddress(c.ipNetwork, to: n.interface, in: n.namespace)
        case .dhcp?:
            do { try host.runDHCPClient(on: n.interface, in: n.namespace, workDirectory: model.directory) } catch {
                throw TopologyHostError("node \(name): no DHCP lease on \(n.interface) (\(error))")
            }
        case nil: break
        }
        if let g = n.gateway { try host.setDefaultRoute(via: g, dev: n.interface, in: n.namespace) }
    }
}
