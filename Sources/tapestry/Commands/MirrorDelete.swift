import ArgumentParser
import ControlProtocol

/// `tapestry mirror-del BRIDGE NAME [--if-exists]`.
struct MirrorDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror-del", abstract: "Remove a mirror; its output port becomes an ordinary port again.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "The mirror's name.")
    var name: String

    @Flag(help: "Succeed without change if the mirror does not exist.")
    var ifExists = false

    var context: CommandContext { CommandContext(verb: "mirror-del", object: name) }

    func makeParams() throws(CLIError) -> MirrorDeleteParams {
        MirrorDeleteParams(bridge: try context.interfaceName(bridge, what: "bridge name"), name: name, ifExists: ifExists)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.MirrorDelete.self, makeParams(), context: context)
    }
}
