import ArgumentParser
import ControlProtocol

/// `tapestry net-info NETWORK`: identity, state, bridge and helper processes of a network.
struct NetInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-info", abstract: "Show a network's state.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-info", object: network) }

    func run() throws {
        let info = try options.call(Methods.NetInfo.self, NetworkParams(network: network), context: context)
        switch options.format {
        case .json: try JSONOutput.print(info)
        case .table: NetworkTables.info(info).forEach { print($0) }
        }
    }
}
