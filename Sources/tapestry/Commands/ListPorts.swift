import ArgumentParser
import ControlProtocol

/// `tapestry list-ports BRIDGE`: the bridge's port names, one per line (`--format json`: an array of names).
struct ListPorts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-ports", abstract: "List the names of a bridge's ports.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge whose ports to list.")
    var bridge: String

    var context: CommandContext { CommandContext(verb: "list-ports", object: bridge) }

    func makeParams() throws(CLIError) -> ShowParams {
        ShowParams(bridge: try context.interfaceName(bridge, what: "bridge name"))
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.Show.self, makeParams(), context: context)
        guard let status = result.bridges.first(where: { $0.name == bridge }) else {
            throw context.refuse("no such bridge")
        }
        let names = status.ports.map(\.config.name)
        switch options.format {
        case .json: try JSONOutput.print(names)
        case .table: names.forEach { print($0) }
        }
    }
}
