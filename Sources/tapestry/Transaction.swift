import ArgumentParser
import ControlProtocol
import Foundation

/// A verb that sends one control method. Whether it may be chained with others, ovs-vsctl style
/// (`tapestry add-br br0 -- add-port br0 vm1 --netns vm1 -- add-port br0 vm2 --netns vm2`, sent as
/// one `transaction`: all of it is applied, or none), is the method's declaration in ControlProtocol
/// (`RPCMethod.transactional`) — the same one the daemon dispatches by.
protocol MethodCommand: ParsableCommand {
    associatedtype Method: RPCMethod
    var options: GlobalOptions { get }
    var context: CommandContext { get }
    func makeParams() throws(CLIError) -> Method.Params
}

extension MethodCommand {
    /// Whether this verb may be part of a `--` chain.
    static var isTransactional: Bool { Method.transactional }
    static var methodName: String { Method.name }

    /// This verb as one operation of a transaction.
    func operation() throws(CLIError) -> TransactionOperation {
        let params = try makeParams()
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(params))
            return TransactionOperation(method: Method.name, params: json)
        } catch {
            throw context.refuse("could not encode the request: \(error)")
        }
    }
}

extension AddBridge: MethodCommand { typealias Method = Methods.AddBridge }
extension DeleteBridge: MethodCommand { typealias Method = Methods.DeleteBridge }
extension SetBridge: MethodCommand { typealias Method = Methods.SetBridge }
extension AddPort: MethodCommand { typealias Method = Methods.AddPort }
extension DeletePort: MethodCommand { typealias Method = Methods.DeletePort }
extension SetPort: MethodCommand { typealias Method = Methods.SetPort }
extension FDBAdd: MethodCommand { typealias Method = Methods.FDBAdd }
extension FDBDelete: MethodCommand { typealias Method = Methods.FDBDelete }
extension FDBFlush: MethodCommand { typealias Method = Methods.FDBFlush }
extension MirrorAdd: MethodCommand { typealias Method = Methods.MirrorAdd }
extension MirrorDelete: MethodCommand { typealias Method = Methods.MirrorDelete }

/// Splits `verb args -- verb args -- ...` and runs the parts as one transaction.
enum TransactionRunner {
    /// The command-line segments between standalone `--` tokens (nil when there is only one).
    static func segments(_ arguments: [String]) -> [[String]]? {
        guard arguments.contains("--") else { return nil }
        var parts: [[String]] = [[]]
        for a in arguments {
            if a == "--" { parts.append([]) } else { parts[parts.count - 1].append(a) }
        }
        let nonEmpty = parts.filter { !$0.isEmpty }
        return nonEmpty.count > 1 ? nonEmpty : nil
    }

    /// The verbs that may be chained: those whose method is declared transactional.
    static var transactionalVerbs: [String: String] {
        var verbs: [String: String] = [:]
        for command in Tapestry.configuration.subcommands {
            guard let m = command as? any MethodCommand.Type, m.isTransactional else { continue }
            verbs[command.configuration.commandName ?? ""] = m.methodName
        }
        return verbs
    }

    static func run(_ parts: [[String]]) throws {
        var operations: [TransactionOperation] = []
        var first: (any MethodCommand)?
        for part in parts {
            let command = try Tapestry.parseAsRoot(ArgumentOrder.movingGlobalOptionsAfterVerb(part))
            guard let editing = command as? any MethodCommand, type(of: editing).isTransactional else {
                throw CLIError(message: "could not run transaction: \(part.first ?? "") cannot be chained with --; only commands that change the configuration can")
            }
            if first == nil { first = editing }
            operations.append(try editing.operation())
        }
        guard let first else { return }
        let context = CommandContext(verb: "transaction", object: "of \(operations.count) commands")
        _ = try first.options.call(Methods.Transaction.self, TransactionParams(operations: operations), context: context,
                                   timeout: .bulk(operations.count))
    }
}
