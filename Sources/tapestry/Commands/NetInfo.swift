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
