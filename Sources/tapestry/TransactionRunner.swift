import ArgumentParser
import ControlProtocol
import Foundation

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
