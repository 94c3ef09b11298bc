import ArgumentParser
import ControlProtocol

/// `tapestry net-create FILE`: a transient network, started at once and forgotten when destroyed.
struct NetCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-create", abstract: "Create and start a transient network from libvirt <network> XML.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The XML file ('-' for stdin).")
    var file: String

    var context: CommandContext { CommandContext(verb: "net-create", object: file) }

    func run() throws {
        let xml = try NetworkFile.read(file, context: context)
        let info = try options.call(Methods.NetCreate.self, NetworkXMLParams(xml: xml), context: context, timeout: .deviceChange)
        if options.format == .json { try JSONOutput.print(info) } else { NetworkNotes.print(info) }
    }
}
