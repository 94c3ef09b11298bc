import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry add-br BRIDGE [--mode learning|hub] [--mac-aging S] [--mac-table-size N] [--may-exist] [--no-local-port]`.
struct AddBridge: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-br", abstract: "Create a bridge.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge's name (a Linux interface name, at most 15 bytes).")
    var bridge: String

    @Option(help: ArgumentHelp("Forwarding mode (default learning).", valueName: "learning|hub"))
    var mode: String?

    @Option(help: ArgumentHelp("Seconds a learned MAC lives unrefreshed (default \(BridgeConfig.defaultMACAging)).",
                               valueName: "seconds"))
    var macAging: Int?

    @Option(help: ArgumentHelp("Most MAC table entries (default \(BridgeConfig.defaultMACTableSize)).", valueName: "n"))
    var macTableSize: Int?

    @Flag(help: "Succeed without change if the bridge already exists.")
    var mayExist = false

    @Flag(help: "Make no local port (by default the bridge gets an internal port named like it, as with ovs-vsctl add-br).")
    var noLocalPort = false

    var context: CommandContext { CommandContext(verb: "add-br", object: bridge) }

    func makeParams() throws(CLIError) -> AddBridgeParams {
        let name = try context.interfaceName(bridge, what: "bridge name")
        let config = BridgeConfig(
            name: name,
            mode: try context.choice(mode, option: "mode", among: BridgeMode.allCases) ?? .learning,
            macAging: macAging ?? BridgeConfig.defaultMACAging,
            macTableSize: macTableSize ?? BridgeConfig.defaultMACTableSize)
        do { try config.validate() } catch { throw context.refuse(error, droppingPrefix: "bridge \(name): ") }
        return AddBridgeParams(bridge: config, mayExist: mayExist, localPort: !noLocalPort)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.AddBridge.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
