import ControlProtocol
import Foundation
import NetworkController
import TapestryModel

/// The bridges service's methods: the edits (each may be part of a transaction; the dispatcher
/// commits them through `commit`) and the reads (run under the service's lock).
extension BridgeService {
    func register(in table: MethodTable) {
        table.edit(Methods.AddBridge.self, by: .bridges) { p in
            var bridge = p.bridge
            if p.localPort == true, bridge.port(named: bridge.name) == nil {
                bridge.ports.append(PortConfig(name: bridge.name, type: .internal))
            }
            return StateEdit(apply: { s throws(ModelError) in try s.addingBridge(bridge, mayExist: p.mayExist) },
                             touched: p.localPort == true ? [bridge.name] : [])
        }
        table.edit(Methods.DeleteBridge.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.removingBridge(p.bridge, ifExists: p.ifExists) }, touched: [])
        }
        table.edit(Methods.SetBridge.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in
                try s.updatingBridge(p.bridge, mode: p.mode, macAging: p.macAging, macTableSize: p.macTableSize).updatingSTP(p)
            }, touched: [])
        }
        table.edit(Methods.AddPort.self, by: .bridges) { [unowned self] p in
            let bridge = try bridgeForNewPort(p)
            let port = try portForNetwork(p)
            return StateEdit(apply: { s throws(ModelError) in try s.addingPort(port, to: bridge, mayExist: p.mayExist) },
                             touched: [p.port.name])
        }
        table.edit(Methods.DeletePort.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.removingPort(p.port, from: p.bridge, ifExists: p.ifExists) },
                      touched: [])
        }
        table.edit(Methods.SetPort.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in
                try s.updatingPort(p.port, on: p.bridge) { port throws(ModelError) in port.apply(p) }
            }, touched: [p.port])
        }
        table.edit(Methods.FDBAdd.self, by: .bridges) { p in
            guard let port = p.port else {
                throw RPCError(code: RPCError.invalidParams, message: "could not add MAC \(p.mac): no port given")
            }
            let entry = StaticMAC(mac: p.mac, vlan: p.vlan, port: port, remote: p.remote)
            return StateEdit(apply: { s throws(ModelError) in try s.addingStaticMAC(entry, to: p.bridge) }, touched: [])
        }
        table.edit(Methods.FDBDelete.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.removingStaticMAC(p.mac, vlan: p.vlan, from: p.bridge) }, touched: [])
        }
        table.edit(Methods.MirrorAdd.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.addingMirror(p.mirror, to: p.bridge) }, touched: [])
        }
        table.edit(Methods.MirrorDelete.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.removingMirror(p.name, from: p.bridge, ifExists: p.ifExists) },
                      touched: [])
        }
        table.edit(Methods.OVSRecords.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.applyingOVSRecords(upsert: p.upsert, delete: p.delete) }, touched: [])
        }
        table.handle(Methods.Show.self, by: .bridges) { [unowned self] p in try locked { try showResult(bridge: p.bridge) } }
        table.handle(Methods.FDBShow.self, by: .bridges) { [unowned self] p in try locked { try fdbShow(p) } }
        table.handle(Methods.FDBFlush.self, by: .bridges) { [unowned self] p in try locked { try fdbFlush(p) } }
        table.handle(Methods.Stats.self, by: .bridges) { [unowned self] p in try locked { try stats(p) } }
        table.handle(Methods.STPShow.self, by: .bridges) { [unowned self] p in try locked { try stpShow(p) } }
        registerBonds(in: table)
    }

    /// The port of an `add-port --network NAME [--portgroup PG]`: a VM's port, so a spanning-tree edge
    /// port unless told otherwise (libvirt's networks run STP with `delay='0'`: a VM's port forwards at
    /// once; a BPDU arriving on it still makes it a normal port), with what the network's XML gives its
    /// ports (`NetworkPortSettings`): isolated with `<port isolated='yes'/>`, the portgroup's (else the
    /// network's) VLAN unless the port sets its own, and its `<bandwidth>` as rates the port sets none of.
    func portForNetwork(_ p: AddPortParams) throws -> PortConfig {
        var port = p.port
        guard let network = p.network else {
            if p.portGroup != nil {
                throw RPCError(code: RPCError.invalidParams, message: "could not add port \(port.name): --portgroup needs --network")
            }
            return port
        }
        if port.stp?.edge == nil {
            var stp = port.stp ?? PortSTPConfig()
            stp.edge = true
            port.stp = stp
        }
        guard let r = state.networks.first(where: { $0.name == network || $0.uuid.lowercased() == network.lowercased() }),
              let def = try? NetworkXMLParser.parse(r.liveXML ?? r.xml) else { return port }
        let what = "could not add port \(port.name) to network \(network)"
        let settings: NetworkPortSettings
        do { settings = try NetworkPortSettings.settings(for: def, portGroup: p.portGroup) } catch {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): \(error.message)")
        }
        if settings.isolated { port.isolated = true }
        if let vlan = settings.vlan, port.vlan == nil, port.trunk == nil, port.native == nil, port.nativeMode == nil {
            port = vlan.applied(to: port)
        }
        guard let bandwidth = settings.bandwidth else { return port }
        let limits: PortPolicy
        do { limits = try BandwidthLimits.policy(bandwidth) } catch {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): \(error.message)")
        }
        var policy = port.policy ?? PortPolicy()
        if policy.ingressRate == nil { policy.ingressRate = limits.ingressRate; policy.ingressBurst = limits.ingressBurst }
        if policy.egressRate == nil {
            policy.egressRate = limits.egressRate; policy.egressBurst = limits.egressBurst; policy.egressPeak = limits.egressPeak
        }
        port.policy = policy.isEmpty ? nil : policy
        return port
    }

    /// The bridge an `add-port` goes to: `--network NAME` names a running network's bridge.
    func bridgeForNewPort(_ p: AddPortParams) throws -> String {
        guard let network = p.network else { return p.bridge }
        let what = "could not add port \(p.port.name) to network \(network)"
        let networks = state.networks
        guard let r = networks.first(where: { $0.name == network }) ?? networks.first(where: { $0.uuid.lowercased() == network.lowercased() }) else {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): no such network")
        }
        guard r.active, let bridge = r.bridge ?? (try? NetworkXMLParser.parse(r.currentXML))?.attachedBridge else {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): network is not active")
        }
        if !p.bridge.isEmpty && p.bridge != bridge {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): the network's bridge is \(bridge), not \(p.bridge)")
        }
        return bridge
    }
}
