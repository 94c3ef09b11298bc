import ArgumentParser
import ControlProtocol

/// `tapestry mirror-list BRIDGE [--format json]`.
struct MirrorList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror-list", abstract: "List a bridge's mirrors and how many copies each sent.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    var context: CommandContext { CommandContext(verb: "mirror-list", object: bridge) }

    func makeParams() throws(CLIError) -> ShowParams {
        ShowParams(bridge: try context.interfaceName(bridge, what: "bridge name"))
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.MirrorList.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: MirrorTable.lines(result).forEach { print($0) }
        }
    }
}

/// `mirror-list` as text:
/// ```
/// NAME  SELECT         OUTPUT  COPIES
/// m0    ports vm1,vm2  span0       42
/// ```
enum MirrorTable {
    static func lines(_ result: MirrorListResult) -> [String] {
        guard !result.mirrors.isEmpty else { return ["no mirrors on \(result.bridge)"] }
        var table = TextTable([.left, .left, .left, .right])
        table.append(["NAME", "SELECT", "OUTPUT", "COPIES"])
        for e in result.mirrors {
            var select: [String] = []
            if e.mirror.selectAll { select.append("all") }
            if !e.mirror.selectPorts.isEmpty { select.append("ports " + e.mirror.selectPorts.joined(separator: ",")) }
            if !e.mirror.selectVLANs.isEmpty { select.append("vlans " + e.mirror.selectVLANs.map(\.description).joined(separator: ",")) }
            table.append([e.mirror.name, select.joined(separator: "; "), e.mirror.output, String(e.outputTxPackets)])
        }
        return table.lines()
    }
}
