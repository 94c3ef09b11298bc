import ControlProtocol
import Foundation
import TapestryModel

/// JSON-RPC on the control socket: decodes a request line, finds the method's handler in the
/// `MethodTable`, and encodes the result or error as the response line. Edits run through
/// `BridgeService.commit`, alone or several as one `transaction` (as `ovs-vsctl A -- B -- C`):
/// every edit is applied to the state in order, then validated, persisted and reconciled once;
/// if any edit is refused or a touched port fails, nothing of the transaction remains.
/// Holds no lock of its own: each handler takes its service's lock.
public final class ControlDispatcher: Sendable {
    public static let version = "0.1.0"
    private let table: MethodTable
    private let bridges: BridgeService

    init(table: MethodTable, bridges: BridgeService) {
        self.table = table; self.bridges = bridges
        table.handle(Methods.Version.self, by: .daemon) { _ in VersionInfo(version: ControlDispatcher.version, pid: getpid()) }
        table.handle(Methods.Transaction.self, by: .daemon) { [unowned self] p in try transaction(p.operations, expectGeneration: p.expectGeneration) }
    }

    /// Handles one JSON-RPC request (one line, without the newline) and returns the response line.
    /// Never throws and never traps on bad input: every failure becomes a JSON-RPC error.
    public func respond(to line: Data) -> Data {
        guard let header = try? JSONDecoder().decode(RPCRequestHeader.self, from: line) else {
            let isJSON = (try? JSONSerialization.jsonObject(with: line)) != nil
            return encodeError(nil, RPCError(code: isJSON ? RPCError.invalidRequest : RPCError.parseError,
                                             message: isJSON ? "invalid request: needs jsonrpc, method and params" : "parse error: not valid JSON"))
        }
        guard header.jsonrpc == "2.0" else {
            return encodeError(header.id, RPCError(code: RPCError.invalidRequest, message: "invalid request: jsonrpc must be \"2.0\""))
        }
        do {
            if let run = table.runs[header.method] { return try run(header.id, line) }
            if let edit = table.edits[header.method] {
                let e = try edit(line)
                try bridges.commit(e.apply, touched: e.touched)
                return try JSONEncoder().encode(RPCResponse(id: header.id, result: Empty()))
            }
            throw RPCError(code: RPCError.methodNotFound, message: "unknown method '\(header.method)'")
        } catch {
            return encodeError(header.id, Self.rpcError(error))
        }
    }

    /// `transaction`: `operations` is a list of `{"method": ..., "params": ...}` of editing methods.
    private func transaction(_ ops: [TransactionOperation], expectGeneration: Int?) throws -> Empty {
        guard ops.count <= 100_000 else {
            throw RPCError(code: RPCError.invalidParams, message: "invalid params for transaction: more than 100000 operations")
        }
        var edits: [StateEdit] = []
        for (i, op) in ops.enumerated() {
            let sub = try JSONEncoder().encode(RPCRequest(id: nil, method: op.method, params: op.params))
            guard let edit = table.edits[op.method] else {
                throw RPCError(code: RPCError.invalidParams, message: "transaction operation \(i + 1): \(op.method) cannot be part of a transaction")
            }
            edits.append(try edit(sub))
        }
        let touched = edits.reduce(into: Set<String>()) { $0.formUnion($1.touched) }
        try bridges.commit({ s throws(ModelError) in
            var next = s
            for e in edits { next = try e.apply(next) }
            return next
        }, touched: touched, expectGeneration: expectGeneration)
        return Empty()
    }

    /// An error thrown by a handler as the JSON-RPC error to send.
    static func rpcError(_ error: any Error) -> RPCError {
        switch error {
        case let e as RPCError: return e
        case let e as ModelError: return RPCError(code: RPCError.operationFailed, message: e.message)
        default: return RPCError(code: RPCError.operationFailed, message: "\(error)")
        }
    }

    public func encodeError(_ id: RPCID?, _ error: RPCError) -> Data {
        (try? JSONEncoder().encode(RPCResponse<Empty>(id: id, error: error)))
            ?? Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }
}
