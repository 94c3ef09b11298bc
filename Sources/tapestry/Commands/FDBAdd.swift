import ArgumentParser
import ControlProtocol

/// `tapestry fdb-add BRIDGE PORT MAC [--vlan V] [--remote IP]`: pins a MAC to a port (a static entry).
struct FDBAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb-add", abstract: "Add a static MAC entry: never ages, never evicted.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "The port the MAC is reached through.")
    var port: String

    @Argument(help: "The unicast MAC address, e.g. 52:54:00:00:00:01.")
    var mac: String

    @Option(help: ArgumentHelp("The VLAN of the entry.", valueName: "vlan"))
    var vlan: String = "1"

    @Option(help: ArgumentHelp("For a vxlan port: the remote behind which the MAC lives.", valueName: "ip"))
    var remote: String?

    var context: CommandContext { CommandContext(verb: "fdb-add", object: mac) }

    func makeParams() throws(CLIError) -> FDBEntryParams {
        let bridgeName = try context.interfaceName(bridge, what: "bridge name")
        let portName = try context.interfaceName(port, what: "port name")
        let address = try context.mac(mac)
        guard address.isValidSource else { throw context.refuse("MAC \(address) must be a unicast address") }
        let vtep = try remote.map { text throws(CLIError) in try context.underlayAddress(text, "--remote") }
        return FDBEntryParams(bridge: bridgeName, port: portName, mac: address, vlan: try context.vlan(vlan), remote: vtep)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.FDBAdd.self, makeParams(), context: context)
    }
}
