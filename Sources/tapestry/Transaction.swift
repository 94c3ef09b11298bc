import ArgumentParser
import ControlProtocol
import Foundation

/// A verb that edits the desired state and so may be chained with others, ovs-vsctl style:
/// `tapestry add-br br0 -- add-port br0 vm1 --netns vm1 -- add-port br0 vm2 --netns vm2`
/// sends one `transaction`: all of it is applied, or none.
protocol TransactionalCommand: ParsableCommand {
    var options: GlobalOptions { get }
    var context: CommandContext { get }
    func operation() throws(CLIError) -> TransactionOperation
}

extension TransactionalCommand {
    /// Encodes typed parameters as the operation of `method`.
    func operation<M: RPCMethod>(_: M.Type, _ params: M.Params) throws(CLIError) -> TransactionOperation {
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(params))
            return TransactionOperation(method: M.name, params: json)
        } catch {
            throw context.refuse("could not encode the request: \(error)")
        }
    }
}

extension AddBridge: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.AddBridge.self, makeParams()) } }
extension DeleteBridge: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.DeleteBridge.self, makeParams()) } }
extension SetBridge: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.SetBridge.self, makeParams()) } }
extension AddPort: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.AddPort.self, makeParams()) } }
extension DeletePort: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.DeletePort.self, makeParams()) } }
extension SetPort: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.SetPort.self, makeParams()) } }
extension FDBAdd: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.FDBAdd.self, makeParams()) } }
extension FDBDelete: TransactionalCommand { func operation() throws(CLIError) -> TransactionOperation { try operation(Methods.FDBDelete.self, makeParams()) } }

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

    static func run(_ parts: [[String]]) throws {
        var operations: [TransactionOperation] = []
        var first: (any TransactionalCommand)?
        for part in parts {
            let command = try Tapestry.parseAsRoot(ArgumentOrder.movingGlobalOptionsAfterVerb(part))
            guard let editing = command as? any TransactionalCommand else {
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
