import ArgumentParser
import ControlProtocol

/// `tapestry fdb-del BRIDGE MAC [--vlan V]`: removes a static MAC entry.
struct FDBDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb-del", abstract: "Remove a static MAC entry.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "The MAC address of the entry.")
    var mac: String

    @Option(help: ArgumentHelp("The VLAN of the entry.", valueName: "vlan"))
    var vlan: String = "1"

    var context: CommandContext { CommandContext(verb: "fdb-del", object: mac) }

    func makeParams() throws(CLIError) -> FDBEntryParams {
        FDBEntryParams(bridge: try context.interfaceName(bridge, what: "bridge name"), port: nil,
                       mac: try context.mac(mac), vlan: try context.vlan(vlan))
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.FDBDelete.self, makeParams(), context: context)
    }
}
