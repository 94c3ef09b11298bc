import ControlProtocol
import Foundation
import TapestryModel

/// The bridges service's methods: the edits (each may be part of a transaction; the dispatcher
/// commits them through `commit`) and the reads (run under the service's lock).
extension BridgeService {
    func register(in table: MethodTable) {
        table.edit(Methods.AddBridge.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in try s.addingBridge(p.bridge, mayExist: p.mayExist) }, touched: [])
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
            return StateEdit(apply: { s throws(ModelError) in try s.addingPort(p.port, to: bridge, mayExist: p.mayExist) },
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
        table.handle(Methods.Show.self, by: .bridges) { [unowned self] p in try locked { try showResult(bridge: p.bridge) } }
        table.handle(Methods.FDBShow.self, by: .bridges) { [unowned self] p in try locked { try fdbShow(p) } }
        table.handle(Methods.FDBFlush.self, by: .bridges) { [unowned self] p in try locked { try fdbFlush(p) } }
        table.handle(Methods.Stats.self, by: .bridges) { [unowned self] p in try locked { try stats(p) } }
        table.handle(Methods.STPShow.self, by: .bridges) { [unowned self] p in try locked { try stpShow(p) } }
    }

    /// The bridge an `add-port` goes to: `--network NAME` names a running network's bridge.
    func bridgeForNewPort(_ p: AddPortParams) throws -> String {
        guard let network = p.network else { return p.bridge }
        let what = "could not add port \(p.port.name) to network \(network)"
        let networks = state.networks
        guard let r = networks.first(where: { $0.name == network }) ?? networks.first(where: { $0.uuid.lowercased() == network.lowercased() }) else {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): no such network")
        }
        guard r.active, let bridge = r.bridge else { throw RPCError(code: RPCError.operationFailed, message: "\(what): network is not active") }
        if !p.bridge.isEmpty && p.bridge != bridge {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): the network's bridge is \(bridge), not \(p.bridge)")
        }
        return bridge
    }
}
