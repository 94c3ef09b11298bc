import ArgumentParser
import ControlProtocol

/// `tapestry list-br`: bridge names, one per line (`--format json`: an array of names).
struct ListBridges: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-br", abstract: "List the bridges' names.")

    @OptionGroup var options: GlobalOptions

    var context: CommandContext { CommandContext(verb: "list-br") }

    func run() throws {
        let result = try options.call(Methods.Show.self, ShowParams(), context: context)
        let names = result.bridges.map(\.name)
        switch options.format {
        case .json: try JSONOutput.print(names)
        case .table: names.forEach { print($0) }
        }
    }
}
