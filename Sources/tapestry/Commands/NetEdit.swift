import ArgumentParser
import ControlProtocol
import Foundation

/// `tapestry net-edit NETWORK`: opens the persistent definition in $VISUAL/$EDITOR (default vi) and
/// defines the result. The daemon checks the XML first: a bad edit is refused with the reason and
/// nothing is stored (the edited copy is kept and named in the message).
struct NetEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-edit", abstract: "Edit a network's persistent XML in $EDITOR; it is checked before it is saved.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The network's name or uuid.")
    var network: String

    var context: CommandContext { CommandContext(verb: "net-edit", object: network) }

    func run() throws {
        let current = try options.call(Methods.NetDumpXML.self, NetworkDumpXMLParams(network: network, inactive: true), context: context)
        let path = NSTemporaryDirectory() + "tapestry-net-edit-\(getpid())-\(network.filter { $0.isLetter || $0.isNumber }).xml"
        guard FileManager.default.createFile(atPath: path, contents: Data(current.xml.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw context.refuse("cannot write \(path)")
        }
        let env = ProcessInfo.processInfo.environment
        let editor = [env["VISUAL"], env["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        // Like git: the editor setting may carry arguments, so it runs through the shell.
        let status = runEditor(editor, path)
        guard status == 0 else { throw context.refuse("editor '\(editor)' exited with status \(status); \(path) kept") }
        guard let data = FileManager.default.contents(atPath: path) else { throw context.refuse("cannot read \(path)") }
        let edited = String(decoding: data, as: UTF8.self)
        if edited == current.xml {
            unlink(path)
            print("Network \(network) XML configuration not changed.")
            return
        }
        do {
            _ = try options.call(Methods.NetDefine.self, NetworkXMLParams(xml: edited), context: context)
        } catch {
            throw CLIError(message: error.message + " (the edited XML is kept in \(path))")
        }
        unlink(path)
    }

    private func runEditor(_ editor: String, _ path: String) -> Int32 {
        var pid: pid_t = 0
        let words: [String] = ["/bin/sh", "-c", editor + " \"$1\"", "sh", path]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
