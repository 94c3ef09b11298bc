import ArgumentParser
import ControlProtocol

/// `tapestry del-port BRIDGE PORT [--if-exists]`.
struct DeletePort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-port", abstract: "Remove a port from a bridge (and the tap the daemon made for it).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge holding the port.")
    var bridge: String

    @Argument(help: "The port to remove.")
    var port: String

    @Flag(help: "Succeed without change if the bridge or port does not exist.")
    var ifExists = false

    var context: CommandContext { CommandContext(verb: "del-port", object: port) }

    func makeParams() throws(CLIError) -> DeletePortParams {
        DeletePortParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                         port: try context.interfaceName(port, what: "port name"), ifExists: ifExists)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.DeletePort.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
