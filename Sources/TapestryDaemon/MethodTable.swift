import ControlProtocol
import Foundation
import TapestryModel

/// The daemon's handlers, one per method of `Methods.all`, registered by the services. A handler
/// runs the method (taking its service's lock itself); an editing method registers the pure edit
/// it makes instead, which the dispatcher commits alone or as one operation of a transaction.
///
/// To add a method: declare it in ControlProtocol (a type conforming to `RPCMethod`, listed in
/// `Methods.all`), then register its handler in its service's `register(in:)` — in a file of its own
/// if you like (`extension BridgeService { func registerVhost(in table: MethodTable) {...} }`).
final class MethodTable: @unchecked Sendable {
    /// Runs a request line and returns the response to `id`, encoded; throws an `RPCError` to refuse.
    typealias Run = (_ id: RPCID?, _ line: Data) throws -> Data
    /// The edit a request line asks for (editing methods only).
    typealias Edit = (Data) throws -> StateEdit

    private(set) var runs: [String: Run] = [:]
    private(set) var edits: [String: Edit] = [:]
    private(set) var services: [String: ControlService] = [:]

    /// Registers the handler of `M`, run by `service`.
    func handle<M: RPCMethod>(_ method: M.Type, by service: ControlService, _ body: @escaping (M.Params) throws -> M.Result) {
        add(M.self, service)
        runs[M.name] = { id, line in
            let result = try body(try MethodTable.params(M.self, line))
            return try JSONEncoder().encode(RPCResponse(id: id, result: result))
        }
    }

    /// Registers the edit of `M`, an editing (transactional) method of `service`.
    func edit<M: RPCMethod>(_ method: M.Type, by service: ControlService, _ body: @escaping (M.Params) throws -> StateEdit) {
        add(M.self, service)
        edits[M.name] = { line in try body(try MethodTable.params(M.self, line)) }
    }

    private func add<M: RPCMethod>(_: M.Type, _ service: ControlService) {
        precondition(services[M.name] == nil, "method \(M.name) registered twice")
        services[M.name] = service
    }

    /// What is wrong between the registered handlers and the declarations in `Methods.all`
    /// (empty when every method has exactly its one declared handler).
    func mismatches(with declarations: [any RPCMethod.Type] = Methods.all) -> [String] {
        var problems: [String] = []
        var declared: [String: MethodDeclaration] = [:]
        for m in declarations {
            if declared[m.name] != nil { problems.append("\(m.name) is declared twice") }
            declared[m.name] = m.declaration
        }
        for (name, d) in declared.sorted(by: { $0.key < $1.key }) {
            guard let service = services[name] else { problems.append("\(name) has no handler"); continue }
            if service != d.service { problems.append("\(name) is declared for \(d.service) but handled by \(service)") }
            if d.transactional != (edits[name] != nil) {
                problems.append("\(name) is declared \(d.transactional ? "" : "not ")transactional but its handler is \(edits[name] != nil ? "an edit" : "not an edit")")
            }
        }
        for name in services.keys.sorted() where declared[name] == nil { problems.append("\(name) has a handler but no declaration") }
        return problems
    }

    /// The typed parameters of a request; a mismatch is an invalid-params error naming the method.
    static func params<M: RPCMethod>(_: M.Type, _ line: Data) throws -> M.Params {
        do { return try JSONDecoder().decode(RPCRequest<M.Params>.self, from: line).params } catch {
            throw RPCError(code: RPCError.invalidParams, message: "invalid params for \(M.name): \(describe(decodingError: error))")
        }
    }
}
