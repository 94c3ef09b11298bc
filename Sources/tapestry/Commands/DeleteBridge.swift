import ArgumentParser
import ControlProtocol

/// `tapestry del-br BRIDGE [--if-exists]`.
struct DeleteBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-br", abstract: "Delete a bridge and all its ports.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge to delete.")
    var bridge: String

    @Flag(help: "Succeed without change if the bridge does not exist.")
    var ifExists = false

    var context: CommandContext { CommandContext(verb: "del-br", object: bridge) }

    func makeParams() throws(CLIError) -> DeleteBridgeParams {
        DeleteBridgeParams(bridge: try context.interfaceName(bridge, what: "bridge name"), ifExists: ifExists)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.DeleteBridge.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
