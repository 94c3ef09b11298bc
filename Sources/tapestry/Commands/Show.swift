import ArgumentParser
import ControlProtocol

/// `tapestry show [BRIDGE]`: bridges, their ports and the ports' state.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show bridges, their ports and the ports' state.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Show only this bridge.")
    var bridge: String?

    var context: CommandContext { CommandContext(verb: "show", object: bridge) }

    func makeParams() throws(CLIError) -> ShowParams {
        ShowParams(bridge: try bridge.map { name throws(CLIError) in try context.interfaceName(name, what: "bridge name") })
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.Show.self, makeParams(), context: context)
        if let bridge, !result.bridges.contains(where: { $0.name == bridge }) {
            throw context.refuse("no such bridge")
        }
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: ShowTable.lines(result).forEach { print($0) }
        }
    }
}
