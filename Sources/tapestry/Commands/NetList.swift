import ArgumentParser
import ControlProtocol

/// `tapestry net-list [--all|--inactive]`: the networks, active ones by default.
struct NetList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-list", abstract: "List networks (active ones unless --all or --inactive).")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Active and inactive networks.")
    var all = false

    @Flag(help: "Inactive networks only.")
    var inactive = false

    var context: CommandContext { CommandContext(verb: "net-list") }

    func validate() throws {
        if all && inactive { throw context.refuse("--all and --inactive cannot be combined") }
    }

    func run() throws {
        let result = try options.call(Methods.NetList.self, Empty(), context: context)
        let shown = result.networks.filter { all || (inactive ? !$0.active : $0.active) }.sorted { $0.name < $1.name }
        switch options.format {
        case .json: try JSONOutput.print(NetworkListResult(networks: shown))
        case .table: NetworkTables.list(shown).forEach { print($0) }
        }
    }
}
