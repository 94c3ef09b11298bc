import ControlProtocol
import Foundation
import Testing
@testable import TapestryDaemon
@testable import tapestry

/// The method registry: each method is declared once, the daemon has exactly the declared handlers,
/// and the CLI chains with `--` exactly the methods the daemon accepts in a transaction.
@Suite struct MethodRegistryTests {
    @Test func everyMethodIsDeclaredOnce() {
        let names = Methods.all.map { $0.name }
        let repeated = Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "declared more than once: \(repeated)")
        #expect(Methods.declarations.count == Methods.all.count)
        #expect(names.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() })
    }

    @Test func daemonHandlesExactlyTheDeclaredMethods() throws {
        try withDaemon { (daemon: Daemon) throws in
            #expect(daemon.methods.mismatches().isEmpty, "\(daemon.methods.mismatches())")
            let handled = Set(daemon.methods.runs.keys).union(daemon.methods.edits.keys)
            #expect(handled == Set(Methods.all.map { $0.name }))
            // The daemon's transaction list is its edits; it equals the declared one.
            #expect(Set(daemon.methods.edits.keys) == Methods.transactionalNames)
        }
    }

    @Test func mismatchesAreFound() {
        let table = MethodTable()
        table.handle(Methods.Version.self, by: .bridges) { _ in VersionInfo(version: "x", pid: 1) }
        table.handle(Methods.AddBridge.self, by: .bridges) { _ in Empty() }
        let problems = table.mismatches(with: [Methods.Version.self, Methods.AddBridge.self, Methods.Show.self, Methods.Show.self])
        #expect(problems.contains("show is declared twice"))
        #expect(problems.contains("show has no handler"))
        #expect(problems.contains("version is declared for daemon but handled by bridges"))
        #expect(problems.contains { $0.hasPrefix("add-br is declared transactional") })
    }

    @Test func cliTransactionListEqualsTheDaemons() throws {
        let cli = TransactionRunner.transactionalVerbs
        #expect(Set(cli.values) == Methods.transactionalNames.subtracting(Methods.compatibilityOnlyNames))
        for (verb, method) in cli { #expect(verb == method, "verb \(verb) sends \(method)") }
        try withDaemon { (daemon: Daemon) throws in
            #expect(Set(cli.values) == Set(daemon.methods.edits.keys).subtracting(Methods.compatibilityOnlyNames))
        }
        // mirror-add and mirror-del were refused by the CLI and accepted by the daemon; now both read one list.
        #expect(cli["mirror-add"] != nil && cli["mirror-del"] != nil)
    }

    @Test func cliRefusesToChainAReadOnlyVerb() {
        #expect(throws: CLIError.self) { try TransactionRunner.run([["add-br", "br0"], ["show"]]) }
        #expect(throws: CLIError.self) { try TransactionRunner.run([["add-br", "br0"], ["fdb-flush", "br0"]]) }
    }
}
