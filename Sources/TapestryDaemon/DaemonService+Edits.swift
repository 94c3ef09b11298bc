import ControlProtocol
import Foundation
import TapestryModel

/// A change of the desired state that a request asks for: a pure edit and the ports whose
/// failure to come up undoes it.
struct StateEdit {
    let apply: (DesiredState) throws(ModelError) -> DesiredState
    let touched: Set<String>
}

/// Requests that edit the desired state, alone or several in one transaction (as
/// `ovs-vsctl A -- B -- C`): every edit of a transaction is applied to the state in order,
/// then the result is validated, persisted once and reconciled once; if any edit is refused or
/// a touched port fails, nothing of the transaction remains.
extension DaemonService {
    /// The edit a mutating request makes; nil when `method` does not edit the desired state.
    func stateEdit(method: String, line: Data) throws -> StateEdit? {
        switch method {
        case Methods.AddBridge.name:
            let p = try params(Methods.AddBridge.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.addingBridge(p.bridge, mayExist: p.mayExist) }, touched: [])
        case Methods.DeleteBridge.name:
            let p = try params(Methods.DeleteBridge.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.removingBridge(p.bridge, ifExists: p.ifExists) }, touched: [])
        case Methods.SetBridge.name:
            let p = try params(Methods.SetBridge.self, line)
            return StateEdit(apply: { s throws(ModelError) in
                try s.updatingBridge(p.bridge, mode: p.mode, macAging: p.macAging, macTableSize: p.macTableSize)
            }, touched: [])
        case Methods.AddPort.name:
            let p = try params(Methods.AddPort.self, line)
            let bridge = try bridgeForNewPort(p)
            return StateEdit(apply: { s throws(ModelError) in try s.addingPort(p.port, to: bridge, mayExist: p.mayExist) },
                             touched: [p.port.name])
        case Methods.DeletePort.name:
            let p = try params(Methods.DeletePort.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.removingPort(p.port, from: p.bridge, ifExists: p.ifExists) },
                             touched: [])
        case Methods.SetPort.name:
            let p = try params(Methods.SetPort.self, line)
            return StateEdit(apply: { s throws(ModelError) in
                try s.updatingPort(p.port, on: p.bridge) { port throws(ModelError) in port.apply(p) }
            }, touched: [p.port])
        case Methods.FDBAdd.name:
            let p = try params(Methods.FDBAdd.self, line)
            guard let port = p.port else { throw RPCError(code: RPCError.invalidParams, message: "could not add MAC \(p.mac): no port given") }
            let entry = StaticMAC(mac: p.mac, vlan: p.vlan, port: port, remote: p.remote)
            return StateEdit(apply: { s throws(ModelError) in try s.addingStaticMAC(entry, to: p.bridge) }, touched: [])
        case Methods.FDBDelete.name:
            let p = try params(Methods.FDBDelete.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.removingStaticMAC(p.mac, vlan: p.vlan, from: p.bridge) }, touched: [])
        case Methods.MirrorAdd.name:
            let p = try params(Methods.MirrorAdd.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.addingMirror(p.mirror, to: p.bridge) }, touched: [])
        case Methods.MirrorDelete.name:
            let p = try params(Methods.MirrorDelete.self, line)
            return StateEdit(apply: { s throws(ModelError) in try s.removingMirror(p.name, from: p.bridge, ifExists: p.ifExists) },
                             touched: [])
        default:
            return nil
        }
    }

    /// The typed parameters of a request; a mismatch is an invalid-params error naming the method.
    func params<M: RPCMethod>(_: M.Type, _ line: Data) throws -> M.Params {
        do { return try JSONDecoder().decode(RPCRequest<M.Params>.self, from: line).params } catch {
            throw RPCError(code: RPCError.invalidParams, message: "invalid params for \(M.name): \(describe(decodingError: error))")
        }
    }

    /// Runs one mutating request.
    func respondToEdit(method: String, id: RPCID?, line: Data) -> Data {
        respondCatching(id) {
            guard let edit = try stateEdit(method: method, line: line) else {
                throw RPCError(code: RPCError.methodNotFound, message: "unknown method '\(method)'")
            }
            try locked { try change(edit.apply, touched: { _ in edit.touched }) }
            return Empty()
        }
    }

    /// `transaction`: `params.operations` is a list of `{"method": ..., "params": ...}` of editing methods.
    func respondToTransaction(id: RPCID?, line: Data) -> Data {
        respondCatching(id) {
            let ops = try params(Methods.Transaction.self, line).operations
            guard ops.count <= 100_000 else {
                throw RPCError(code: RPCError.invalidParams, message: "invalid params for transaction: more than 100000 operations")
            }
            try locked {
                var edits: [StateEdit] = []
                for (i, op) in ops.enumerated() {
                    let method = op.method
                    let sub = try JSONEncoder().encode(RPCRequest(id: nil, method: method, params: op.params))
                    guard let edit = try stateEdit(method: method, line: sub) else {
                        throw RPCError(code: RPCError.invalidParams, message: "transaction operation \(i + 1): \(method) cannot be part of a transaction")
                    }
                    edits.append(edit)
                }
                let touched = edits.reduce(into: Set<String>()) { $0.formUnion($1.touched) }
                try change({ s throws(ModelError) in
                    var next = s
                    for e in edits { next = try e.apply(next) }
                    return next
                }, touched: { _ in touched })
            }
            return Empty()
        }
    }

    /// Runs `body` and encodes its result, or the error it threw, as the response to `id`.
    func respondCatching<R: Codable & Sendable>(_ id: RPCID?, _ body: () throws -> R) -> Data {
        do {
            let result = try body()
            return (try? JSONEncoder().encode(RPCResponse(id: id, result: result))) ?? encodeError(id, RPCError(code: RPCError.internalError, message: "internal error"))
        } catch let e as RPCError {
            return encodeError(id, e)
        } catch let e as ModelError {
            return encodeError(id, RPCError(code: RPCError.operationFailed, message: e.message))
        } catch {
            return encodeError(id, RPCError(code: RPCError.operationFailed, message: "\(error)"))
        }
    }
}
