import ArgumentParser
import ControlProtocol

/// `tapestry net-start NETWORK`: Start a defined network.
struct NetStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-start", abstract: "Start a defined network.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-start", object: network) }

    func run() throws {
        _ = try options.call(Methods.NetStart.self, NetworkParams(network: network), context: context, timeout: .deviceChange)
    }
}
