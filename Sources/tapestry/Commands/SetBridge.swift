import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry set-br BRIDGE [--mode M] [--mac-aging S] [--mac-table-size N]`: only the given settings change.
struct SetBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-br", abstract: "Change a bridge's settings.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge to change.")
    var bridge: String

    @Option(help: ArgumentHelp("Forwarding mode.", valueName: "learning|hub"))
    var mode: String?

    @Option(help: ArgumentHelp("Seconds a learned MAC lives unrefreshed.", valueName: "seconds"))
    var macAging: Int?

    @Option(help: ArgumentHelp("Most MAC table entries.", valueName: "n"))
    var macTableSize: Int?

    var context: CommandContext { CommandContext(verb: "set-br", object: bridge) }

    func makeParams() throws(CLIError) -> SetBridgeParams {
        let name = try context.interfaceName(bridge, what: "bridge name")
        let newMode = try context.choice(mode, option: "mode", among: BridgeMode.allCases)
        guard newMode != nil || macAging != nil || macTableSize != nil else {
            throw context.refuse("nothing to change: give --mode, --mac-aging or --mac-table-size")
        }
        // The model's range checks, on a bridge with the given values and defaults elsewhere.
        let probe = BridgeConfig(name: name, macAging: macAging ?? BridgeConfig.defaultMACAging,
                                 macTableSize: macTableSize ?? BridgeConfig.defaultMACTableSize)
        do { try probe.validate() } catch { throw context.refuse(error, droppingPrefix: "bridge \(name): ") }
        return SetBridgeParams(bridge: name, mode: newMode, macAging: macAging, macTableSize: macTableSize)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.SetBridge.self, makeParams(), context: context)
    }
}
