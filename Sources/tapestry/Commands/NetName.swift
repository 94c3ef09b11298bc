import ArgumentParser
import ControlProtocol

/// `tapestry net-name UUID`: the network's name.
struct NetName: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-name", abstract: "Print the name of the network with this uuid.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's uuid.")
    var uuid: String

    var context: CommandContext { CommandContext(verb: "net-name", object: uuid) }

    func run() throws {
        let info = try options.call(Methods.NetInfo.self, NetworkParams(network: uuid), context: context)
        switch options.format {
        case .json: try JSONOutput.print(["name": info.name])
        case .table: print(info.name)
        }
    }
}
