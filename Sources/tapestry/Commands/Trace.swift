import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry trace BRIDGE --in-port P --src MAC --dst MAC [--vlan V] [--format json]`.
struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Explain where the bridge would send a frame, step by step.",
        discussion: """
            A synthetic frame from --src to --dst (tagged with --vlan when given) enters --in-port and runs \
            through the bridge's real decision code without learning: VLAN classification, MAC lookup, flood \
            set, isolation, egress tagging, and for vxlan ports the VNI and remotes.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Option(help: ArgumentHelp("The port the frame arrives on.", valueName: "port"))
    var inPort: String

    @Option(help: ArgumentHelp("The frame's source MAC.", valueName: "mac"))
    var src: String

    @Option(help: ArgumentHelp("The frame's destination MAC.", valueName: "mac"))
    var dst: String

    @Option(help: ArgumentHelp("Send the frame tagged with this VLAN (else untagged).", valueName: "vlan"))
    var vlan: String?

    @Option(help: ArgumentHelp("Make the frame an ARP request for this IPv4 address (to see ARP suppression answer it).", valueName: "ip"))
    var arpTarget: String?

    @Option(help: ArgumentHelp("The ARP request's sender IPv4 address (default 192.0.2.1).", valueName: "ip"))
    var arpSender: String?

    var context: CommandContext { CommandContext(verb: "trace", object: bridge) }

    private func ipv4(_ text: String?, _ what: String) throws(CLIError) -> IPv4Address? {
        guard let text else { return nil }
        guard let ip = IPv4Address(text) else { throw context.refuse("invalid \(what) '\(text)': expected an IPv4 address") }
        return ip
    }

    func makeParams() throws(CLIError) -> TraceParams {
        TraceParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                    inPort: try context.interfaceName(inPort, what: "port name"),
                    source: try context.mac(src), destination: try context.mac(dst), vlan: try context.vlan(vlan),
                    arpTarget: try ipv4(arpTarget, "--arp-target"), arpSender: try ipv4(arpSender, "--arp-sender"))
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let result = try options.call(Methods.Trace.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(result)
        case .table: TraceText.lines(result).forEach { print($0) }
        }
    }
}

/// `trace` as text: the numbered steps, then the verdict.
/// ```
///  1. frame 52:54:00:00:00:01 > 52:54:00:00:00:03 untagged arrives on vm1 (access 10)
///  2. classified into VLAN 10
///  3. MAC table: 52:54:00:00:00:03 on VLAN 10 is on port vm3
///  4. output vm3 (untagged)
/// Result: unicast to vm3
/// ```
enum TraceText {
    static func lines(_ r: TraceResult) -> [String] {
        let width = String(r.steps.count).count
        var out = r.steps.enumerated().map { i, step in
            String(repeating: " ", count: width - String(i + 1).count) + "\(i + 1). \(step)"
        }
        switch r.action {
        case "drop": out.append("Result: drop" + (r.dropReason.map { " (\($0))" } ?? ""))
        default:
            let ports = r.outputs.map(\.port)
            out.append("Result: \(r.action)" + (ports.isEmpty ? ", no output" : " to " + ports.joined(separator: ", "))
                       + (r.mirroredTo.isEmpty ? "" : "; mirrored to " + r.mirroredTo.joined(separator: ", ")))
        }
        return out
    }
}
