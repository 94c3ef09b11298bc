import ArgumentParser
import ControlProtocol

/// `tapestry stats BRIDGE [PORT]`: per-port packet, byte and drop counters.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show per-port rx/tx packets and bytes, and drops by reason.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "Show only this port.")
    var port: String?

    var context: CommandContext { CommandContext(verb: "stats", object: port ?? bridge) }

    func makeParams() throws(CLIError) -> StatsParams {
        StatsParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                    port: try port.map { name throws(CLIError) in try context.interfaceName(name, what: "port name") })
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.Stats.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: StatsTable.lines(result).forEach { print($0) }
        }
    }
}
