import ArgumentParser
import ControlProtocol

/// `tapestry fdb-show BRIDGE [--vlan V]`: the bridge's MAC table.
struct FDBShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb-show", abstract: "Show a bridge's MAC table (learned and static entries).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge whose MAC table to show.")
    var bridge: String

    @Option(help: ArgumentHelp("Show only this VLAN's entries.", valueName: "vlan"))
    var vlan: String?

    var context: CommandContext { CommandContext(verb: "fdb-show", object: bridge) }

    func makeParams() throws(CLIError) -> FDBShowParams {
        FDBShowParams(bridge: try context.interfaceName(bridge, what: "bridge name"), vlan: try context.vlan(vlan))
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.FDBShow.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: FDBTable.lines(result).forEach { print($0) }
        }
    }
}
