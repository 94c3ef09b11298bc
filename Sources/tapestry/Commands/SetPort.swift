import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry set-port BRIDGE PORT [--vlan V] [--trunk LIST] [--native V] [--native-mode M] [--no-vlan]
/// [--isolated | --no-isolated]`: only the given settings change.
struct SetPort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-port", abstract: "Change a port's VLAN role or isolation.",
        discussion: """
            --vlan makes the port an access port; --trunk, --native and --native-mode make it a trunk; \
            --no-vlan returns it to the default (a trunk of every VLAN, native VLAN 1 untagged).
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge holding the port.")
    var bridge: String

    @Argument(help: "The port to change.")
    var port: String

    @Option(help: ArgumentHelp("Make it an access port of this VLAN (1-4094).", valueName: "vlan"))
    var vlan: String?

    @Option(help: ArgumentHelp("Make it a trunk of these VLANs, e.g. 10,20-22 or all.", valueName: "list"))
    var trunk: String?

    @Option(help: ArgumentHelp("The trunk's native VLAN.", valueName: "vlan"))
    var native: String?

    @Option(help: ArgumentHelp("Whether the native VLAN is untagged or tagged on the wire.",
                               valueName: "untagged|tagged"))
    var nativeMode: String?

    @Flag(help: "Clear the VLAN settings (back to a trunk of every VLAN, native 1 untagged).")
    var noVlan = false

    @Flag(help: "Isolate the port from other isolated ports.")
    var isolated = false

    @Flag(help: "Stop isolating the port.")
    var noIsolated = false

    @Option(help: ArgumentHelp("Learn at most this many MAC addresses on the port (0 removes the limit).", valueName: "n"))
    var maxMacs: Int?

    @Option(help: ArgumentHelp("Spanning tree path cost (1-200000000; default 20000).", valueName: "cost"))
    var stpCost: Int?

    @Option(help: ArgumentHelp("Spanning tree port priority (multiple of 16, 0-240; default 128).", valueName: "n"))
    var stpPriority: Int?

    @Flag(inversion: .prefixedNo, help: "Spanning tree edge port (no bridge behind it; default for tap/internal ports).")
    var stpEdge: Bool?

    @Flag(inversion: .prefixedNo, help: "Shut the port when a BPDU arrives on it.")
    var bpduGuard: Bool?

    @Option(help: ArgumentHelp("Whether the link is point-to-point for RSTP.", valueName: "auto|yes|no"))
    var stpP2p: String?

    @OptionGroup var policy: PortPolicyOptions

    var context: CommandContext { CommandContext(verb: "set-port", object: port) }

    func makeParams() throws(CLIError) -> SetPortParams {
        let bridgeName = try context.interfaceName(bridge, what: "bridge name")
        let portName = try context.interfaceName(port, what: "port name")
        let access = try context.vlan(vlan)
        let allowed = try context.vlanSet(trunk)
        if let allowed, allowed.isEmpty { throw context.refuse("trunk VLAN list is empty") }
        let nativeVLAN = try context.vlan(native)
        let mode = try context.choice(nativeMode, option: "native mode", among: [NativeMode.untagged, .tagged])
        let trunkGiven = allowed != nil || nativeVLAN != nil || mode != nil
        if access != nil && trunkGiven {
            throw context.refuse("--vlan (access) cannot be combined with --trunk, --native or --native-mode")
        }
        if noVlan && (access != nil || trunkGiven) {
            throw context.refuse("--no-vlan cannot be combined with --vlan, --trunk, --native or --native-mode")
        }
        if isolated && noIsolated { throw context.refuse("--isolated and --no-isolated cannot be used together") }
        let isolation: Bool? = isolated ? true : (noIsolated ? false : nil)
        if let maxMacs, !(0...1_000_000).contains(maxMacs) {
            throw context.refuse("--max-macs \(maxMacs) out of range 0-1000000 (0 removes the limit)")
        }
        let p2p = try context.choice(stpP2p, option: "stp-p2p", among: STPPointToPoint.allCases)
        let stp = PortSTPConfig(cost: stpCost, priority: stpPriority, edge: stpEdge, bpduGuard: bpduGuard, p2p: p2p)
        do { try stp.validate(port: portName) } catch { throw context.refuse(error, droppingPrefix: "port \(portName): ") }
        let policyEdit: PortPolicyEdit
        do { policyEdit = try policy.edit(port: portName) } catch { throw context.refuse(error.message) }
        guard access != nil || trunkGiven || noVlan || isolation != nil || maxMacs != nil || !stp.isEmpty
                || !policyEdit.isEmpty else {
            throw context.refuse("nothing to change: give --vlan, --trunk, --native, --native-mode, --no-vlan, "
                + "--isolated, --no-isolated, --max-macs or a spanning tree option (--stp-cost, --stp-priority, "
                + "--[no-]stp-edge, --[no-]bpdu-guard, --stp-p2p) or a policy option (--ingress-rate, --egress-rate, "
                + "--allowed-address, --[no-]trusted, --storm-limit, --delay, --loss, … and their --no-… forms)")
        }
        var params = SetPortParams(bridge: bridgeName, port: portName, accessVLAN: access, trunk: allowed, native: nativeVLAN,
                                   nativeMode: mode, clearVLAN: noVlan, isolated: isolation)
        params.maxMACs = maxMacs
        params.stp = stp.isEmpty ? nil : stp
        params.policy = policyEdit.isEmpty ? nil : policyEdit
        return params
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.SetPort.self, makeParams(), context: context)
    }
}
