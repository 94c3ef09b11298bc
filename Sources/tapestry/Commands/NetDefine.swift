import ArgumentParser
import ControlProtocol
import Foundation

/// `tapestry net-define FILE`: stores a persistent network from libvirt `<network>` XML (not started).
struct NetDefine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-define", abstract: "Define a persistent network from libvirt <network> XML (does not start it).",
        discussion: """
            Defining a network that exists replaces its persistent definition; a running network keeps its running one until \
            restarted, or with --live is brought to the new definition at once, changing only what differs (addresses, \
            routes, forward mode and its rules, dnsmasq and radvd; dnsmasq is only signalled when just its hosts changed). \
            A new bridge name, MTU or MAC needs a restart.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The XML file ('-' for stdin).")
    var file: String

    @Flag(help: "Also change the running network now (only what differs).")
    var live = false

    var context: CommandContext { CommandContext(verb: "net-define", object: file) }

    func run() throws {
        let xml = try NetworkFile.read(file, context: context)
        let info = try options.call(Methods.NetDefine.self, NetworkXMLParams(xml: xml, live: live ? true : nil), context: context)
        if options.format == .json { try JSONOutput.print(info) } else { NetworkNotes.print(info) }
    }
}

/// Reading XML arguments for the net-* verbs.
enum NetworkFile {
    static func read(_ path: String, context: CommandContext) throws(CLIError) -> String {
        if path == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw context.refuse("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
