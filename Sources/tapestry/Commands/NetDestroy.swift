import ArgumentParser
import ControlProtocol

/// `tapestry net-destroy NETWORK`: Stop a running network (a transient one goes away).
struct NetDestroy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-destroy", abstract: "Stop a running network (a transient one goes away).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-destroy", object: network) }

    func run() throws {
        _ = try options.call(Methods.NetDestroy.self, NetworkParams(network: network), context: context, timeout: .deviceChange)
    }
}
