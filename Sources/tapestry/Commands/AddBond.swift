import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry add-bond BRIDGE BOND IF1 IF2 [...] [--mode M] [--lacp L] [--lacp-rate R] [--updelay MS] [--downdelay MS]`.
struct AddBond: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-bond", abstract: "Add a bond: one port of the bridge over several system netdevs.",
        discussion: """
            The bond is one port for VLANs, learning, isolation, mirrors and policy (set-port works on it); its members are \
            existing netdevs in tapestryd's namespace. A member whose carrier goes down (or whose LACP partner falls silent) \
            hands its traffic to the others.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge to add the bond to.")
    var bridge: String

    @Argument(help: "The bond's port name.")
    var bond: String

    @Argument(help: ArgumentHelp("The member netdevs (at least two).", valueName: "interface"))
    var members: [String] = []

    @OptionGroup var settings: BondOptions

    @Option(help: ArgumentHelp("Make it an access port of this VLAN (1-4094).", valueName: "vlan"))
    var vlan: String?

    @Option(help: ArgumentHelp("Make it a trunk of these VLANs, e.g. 10,20-22 or all.", valueName: "list"))
    var trunk: String?

    @Option(help: ArgumentHelp("The trunk's native VLAN.", valueName: "vlan"))
    var native: String?

    @Flag(help: "Succeed without change if the bond already exists on this bridge.")
    var mayExist = false

    var context: CommandContext { CommandContext(verb: "add-bond", object: bond) }

    func makeParams() throws(CLIError) -> AddBondParams {
        let bridgeName = try context.interfaceName(bridge, what: "bridge name")
        let name = try context.interfaceName(bond, what: "bond name")
        let names = try members.map { text throws(CLIError) in try context.interfaceName(text, what: "member name") }
        let (mode, lacp, rate) = try settings.parsed(context)
        let access = try context.vlan(vlan)
        let allowed = try context.vlanSet(trunk)
        let nativeVLAN = try context.vlan(native)
        var config = PortConfig(name: name, type: .bond, vlan: access, trunk: allowed, native: nativeVLAN)
        config.bond = BondConfig(members: names, mode: mode ?? .activeBackup, lacp: lacp ?? .off, lacpRate: rate ?? .slow,
                                 updelay: settings.updelay ?? 0, downdelay: settings.downdelay ?? 0)
        do { try config.validate() } catch { throw context.refuse(error, droppingPrefix: "port \(name): ") }
        return AddBondParams(bridge: bridgeName, port: config, mayExist: mayExist)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.AddBond.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
