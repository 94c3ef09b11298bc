import ArgumentParser
import ControlProtocol

/// `tapestry del-bond BRIDGE BOND [--if-exists]`.
struct DeleteBond: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-bond", abstract: "Remove a bond from a bridge (its members are left as they are).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge holding the bond.")
    var bridge: String

    @Argument(help: "The bond to remove.")
    var bond: String

    @Flag(help: "Succeed without change if the bridge or bond does not exist.")
    var ifExists = false

    var context: CommandContext { CommandContext(verb: "del-bond", object: bond) }

    func makeParams() throws(CLIError) -> DeleteBondParams {
        DeleteBondParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                         bond: try context.interfaceName(bond, what: "bond name"), ifExists: ifExists)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.DeleteBond.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
