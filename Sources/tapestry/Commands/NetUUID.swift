import ArgumentParser
import ControlProtocol

/// `tapestry net-uuid NETWORK`: the network's uuid.
struct NetUUID: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-uuid", abstract: "Print a network's uuid.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-uuid", object: network) }

    func run() throws {
        let info = try options.call(Methods.NetInfo.self, NetworkParams(network: network), context: context)
        switch options.format {
        case .json: try JSONOutput.print(["uuid": info.uuid])
        case .table: print(info.uuid)
        }
    }
}
