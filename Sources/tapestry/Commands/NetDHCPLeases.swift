import ArgumentParser
import ControlProtocol

/// `tapestry net-dhcp-leases NETWORK [--mac MAC]`: the leases the network's dnsmasq handed out.
struct NetDHCPLeases: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "net-dhcp-leases", abstract: "Show a running network's DHCP leases.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    @Option(help: ArgumentHelp("Only the leases of this MAC address.", valueName: "mac"))
    var mac: String?

    var context: CommandContext { CommandContext(verb: "net-dhcp-leases", object: network) }

    func run() throws {
        if let mac { _ = try context.mac(mac) }
        let result = try options.call(Methods.NetDHCPLeases.self, NetworkLeasesParams(network: network, mac: mac), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: NetworkTables.leases(result.leases).forEach { print($0) }
        }
    }
}
