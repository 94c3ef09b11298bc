import ArgumentParser
import ControlProtocol

/// `tapestry fdb-flush BRIDGE [--port P]`: forgets learned MACs (static entries stay).
struct FDBFlush: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb-flush", abstract: "Forget a bridge's learned MACs (static entries stay).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge whose MAC table to flush.")
    var bridge: String

    @Option(help: ArgumentHelp("Forget only the MACs learned on this port.", valueName: "port"))
    var port: String?

    var context: CommandContext { CommandContext(verb: "fdb-flush", object: bridge) }

    func makeParams() throws(CLIError) -> FDBFlushParams {
        FDBFlushParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                       port: try port.map { name throws(CLIError) in try context.interfaceName(name, what: "port name") })
    }

    func validate() throws { _ = try makeParams() }

    /// Prints nothing in table format, like other changes; JSON shows how many entries went.
    func run() throws {
        let result = try options.call(Methods.FDBFlush.self, makeParams(), context: context)
        if options.format == .json { try JSONOutput.print(result) }
    }
}
