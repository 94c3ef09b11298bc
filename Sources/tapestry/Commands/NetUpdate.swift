import ArgumentParser
import ControlProtocol
import Foundation

/// `tapestry net-update NETWORK COMMAND SECTION XML [--live] [--config] [--parent-index N]`, as virsh:
/// e.g. `net-update default add ip-dhcp-host "<host mac='52:54:00:00:00:05' name='db' ip='192.168.122.5'/>"`.
struct NetUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-update", abstract: "Change one part of a network's definition, live and/or persistently.",
        discussion: """
            COMMAND: add, delete, modify, add-first, add-last. SECTION: ip-dhcp-host, ip-dhcp-range, dns-host, \
            dns-txt, dns-srv, forward-interface, portgroup. Without --live or --config, a running network changes \
            live and a stopped one persistently. A new DHCP host takes effect at once (dnsmasq re-reads its hosts).
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    @Argument(help: "add, delete, modify, add-first or add-last.")
    var command: String

    @Argument(help: "The part to change, e.g. ip-dhcp-host.")
    var section: String

    @Argument(help: "The element's XML, or a file holding it.")
    var xml: String

    @Flag(help: "Change the running network.")
    var live = false

    @Flag(help: "Change the persistent definition.")
    var config = false

    @Option(help: ArgumentHelp("Which <ip> element (0-based) a DHCP change applies to.", valueName: "n"))
    var parentIndex: Int?

    var context: CommandContext { CommandContext(verb: "net-update", object: network) }

    func run() throws {
        let trimmed = xml.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = trimmed.hasPrefix("<") ? xml : try NetworkFile.read(xml, context: context)
        let params = NetworkUpdateParams(network: network, command: command, section: section, xml: text,
                                         parentIndex: parentIndex, live: live, config: config)
        _ = try options.call(Methods.NetUpdate.self, params, context: context, timeout: .deviceChange)
    }
}
