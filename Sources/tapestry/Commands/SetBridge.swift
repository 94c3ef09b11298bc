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

    @Option(help: ArgumentHelp("Spanning tree protocol.", valueName: "rstp|stp|off"))
    var stp: String?

    @Option(help: ArgumentHelp("Spanning tree bridge priority (multiple of 4096, 0-61440; default 32768).", valueName: "n"))
    var stpPriority: Int?

    @Option(help: ArgumentHelp("Spanning tree hello time (1-10 s; default 2).", valueName: "seconds"))
    var stpHello: Int?

    @Option(help: ArgumentHelp("Spanning tree max age (6-40 s; default 20).", valueName: "seconds"))
    var stpMaxAge: Int?

    @Option(help: ArgumentHelp("Spanning tree forward delay (4-30 s; default 15).", valueName: "seconds"))
    var stpForwardDelay: Int?

    var context: CommandContext { CommandContext(verb: "set-br", object: bridge) }

    func makeParams() throws(CLIError) -> SetBridgeParams {
        let name = try context.interfaceName(bridge, what: "bridge name")
        let newMode = try context.choice(mode, option: "mode", among: BridgeMode.allCases)
        if let stp, !["rstp", "stp", "off"].contains(stp) { throw context.refuse("--stp \(stp) is not one of rstp, stp, off") }
        let stpTimers = stpPriority != nil || stpHello != nil || stpMaxAge != nil || stpForwardDelay != nil
        if stp == "off" && stpTimers { throw context.refuse("--stp off cannot be combined with other spanning tree options") }
        if stp != nil && stp != "off" || stpTimers {
            var probe = BridgeSTPConfig(mode: .rstp)
            if let v = stpPriority { probe.priority = v }
            if let v = stpHello { probe.hello = v }
            if let v = stpMaxAge { probe.maxAge = v }
            if let v = stpForwardDelay { probe.forwardDelay = v }
            // Ranges only here; how the timers fit together is checked by the daemon with the bridge's other values.
            let ranges = [(probe.priority, 0...61440, "--stp-priority"), (probe.hello, 1...10, "--stp-hello"),
                          (probe.maxAge, 6...40, "--stp-max-age"), (probe.forwardDelay, 4...30, "--stp-forward-delay")]
            for (v, r, name) in ranges where !r.contains(v) { throw context.refuse("\(name) \(v) out of range \(r.lowerBound)-\(r.upperBound)") }
            if probe.priority % 4096 != 0 { throw context.refuse("--stp-priority \(probe.priority) is not a multiple of 4096") }
        }
        guard newMode != nil || macAging != nil || macTableSize != nil || stp != nil || stpTimers else {
            throw context.refuse("nothing to change: give --mode, --mac-aging, --mac-table-size or --stp (and its options)")
        }
        // The model's range checks, on a bridge with the given values and defaults elsewhere.
        let probe = BridgeConfig(name: name, macAging: macAging ?? BridgeConfig.defaultMACAging,
                                 macTableSize: macTableSize ?? BridgeConfig.defaultMACTableSize)
        do { try probe.validate() } catch { throw context.refuse(error, droppingPrefix: "bridge \(name): ") }
        var params = SetBridgeParams(bridge: name, mode: newMode, macAging: macAging, macTableSize: macTableSize)
        params.stp = stp; params.stpPriority = stpPriority; params.stpHello = stpHello
        params.stpMaxAge = stpMaxAge; params.stpForwardDelay = stpForwardDelay
        return params
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.SetBridge.self, makeParams(), context: context)
    }
}
