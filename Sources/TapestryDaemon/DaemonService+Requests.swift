import ControlProtocol
import Foundation
import TapestryModel

/// Decoding a request line, running the method, encoding the response line.
extension DaemonService {
    /// Handles one JSON-RPC request (one line, without the newline) and returns the response line.
    /// Never throws and never traps on bad input: every failure becomes a JSON-RPC error.
    public func respond(to line: Data) -> Data {
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(RPCRequestHeader.self, from: line) else {
            let isJSON = (try? JSONSerialization.jsonObject(with: line)) != nil
            return encodeError(nil, RPCError(code: isJSON ? RPCError.invalidRequest : RPCError.parseError,
                                             message: isJSON ? "invalid request: needs jsonrpc, method and params" : "parse error: not valid JSON"))
        }
        guard header.jsonrpc == "2.0" else {
            return encodeError(header.id, RPCError(code: RPCError.invalidRequest, message: "invalid request: jsonrpc must be \"2.0\""))
        }
        if header.method == Methods.Transaction.name { return respondToTransaction(id: header.id, line: line) }
        if Methods.editingMethodNames.contains(header.method) { return respondToEdit(method: header.method, id: header.id, line: line) }
        switch header.method {
        case Methods.Version.name: return run(Methods.Version.self, line) { _ in VersionInfo(version: DaemonService.version, pid: getpid()) }
        case Methods.Show.name: return run(Methods.Show.self, line) { p in try self.showResult(bridge: p.bridge) }
        case Methods.FDBShow.name: return run(Methods.FDBShow.self, line) { p in try self.fdbShow(p) }
        case Methods.FDBFlush.name: return run(Methods.FDBFlush.self, line) { p in try self.fdbFlush(p) }
        case Methods.Stats.name: return run(Methods.Stats.self, line) { p in try self.stats(p) }
        default:
            if Methods.networkMethodNames.contains(header.method) { return respondToNetworkMethod(header.method, line) }
            if Methods.observabilityMethodNames.contains(header.method) { return respondToObservabilityMethod(header.method, line) }
            return encodeError(header.id, RPCError(code: RPCError.methodNotFound, message: "unknown method '\(header.method)'"))
        }
    }

    func run<M: RPCMethod>(_: M.Type, _ line: Data, _ body: (M.Params) throws -> M.Result) -> Data {
        let request: RPCRequest<M.Params>
        do { request = try JSONDecoder().decode(RPCRequest<M.Params>.self, from: line) } catch {
            let id = try? JSONDecoder().decode(RPCRequestHeader.self, from: line).id
            return encodeError(id ?? nil, RPCError(code: RPCError.invalidParams,
                                                   message: "invalid params for \(M.name): \(describe(decodingError: error))"))
        }
        return respondCatching(request.id) { try locked { try body(request.params) } }
    }

    func encodeError(_ id: RPCID?, _ error: RPCError) -> Data {
        encode(RPCResponse<Empty>(id: id, error: error))
    }

    private func encode<R>(_ response: RPCResponse<R>) -> Data {
        (try? JSONEncoder().encode(response)) ?? Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }
}

extension PortConfig {
    /// Applies `set-port` parameters: access VLAN, trunk settings, back to default, isolation.
    mutating func apply(_ p: SetPortParams) {
        if p.clearVLAN { vlan = nil; trunk = nil; native = nil; nativeMode = nil }
        if let v = p.accessVLAN { vlan = v; trunk = nil; native = nil; nativeMode = nil }
        if p.trunk != nil || p.native != nil || p.nativeMode != nil {
            vlan = nil
            if let t = p.trunk { trunk = t }
            if let n = p.native { native = n }
            if let m = p.nativeMode { nativeMode = m }
        }
        if let iso = p.isolated { isolated = iso }
        if let limit = p.maxMACs { maxMACs = limit == 0 ? nil : limit }
    }
}
