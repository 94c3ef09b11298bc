import ArgumentParser
import ControlProtocol

/// `tapestry net-undefine NETWORK`: Remove a network's persistent definition (a running one becomes transient).
struct NetUndefine: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-undefine", abstract: "Remove a network's persistent definition (a running one becomes transient).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-undefine", object: network) }

    func run() throws {
        _ = try options.call(Methods.NetUndefine.self, NetworkParams(network: network), context: context, timeout: .query)
    }
}
