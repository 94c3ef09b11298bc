import ArgumentParser
import ControlProtocol

/// `tapestry net-autostart NETWORK [--disable]`: start the network whenever tapestryd starts.
struct NetAutostart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-autostart", abstract: "Start a network when tapestryd starts (or no longer, with --disable).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    @Flag(help: "Turn autostart off.")
    var disable = false

    var context: CommandContext { CommandContext(verb: "net-autostart", object: network) }

    func run() throws {
        _ = try options.call(Methods.NetAutostart.self, NetworkAutostartParams(network: network, enable: !disable), context: context)
    }
}
