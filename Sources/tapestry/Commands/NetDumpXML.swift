import ArgumentParser
import ControlProtocol

/// `tapestry net-dumpxml NETWORK [--inactive]`: the network's libvirt XML.
struct NetDumpXML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-dumpxml", abstract: "Print a network's libvirt XML (the running definition unless --inactive).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    @Flag(help: "The persistent definition, not the running one.")
    var inactive = false

    var context: CommandContext { CommandContext(verb: "net-dumpxml", object: network) }

    func run() throws {
        let result = try options.call(Methods.NetDumpXML.self, NetworkDumpXMLParams(network: network, inactive: inactive), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: print(result.xml, terminator: result.xml.hasSuffix("\n") ? "" : "\n")
        }
    }
}
