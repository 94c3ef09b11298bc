import ArgumentParser
import ControlProtocol

/// `tapestry set-bond BRIDGE BOND [--mode M] [--lacp L] [--lacp-rate R] [--updelay MS] [--downdelay MS]`.
struct SetBond: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-bond", abstract: "Change a bond's mode, LACP or delays (the bond is set up again with its members).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge holding the bond.")
    var bridge: String

    @Argument(help: "The bond.")
    var bond: String

    @OptionGroup var settings: BondOptions

    var context: CommandContext { CommandContext(verb: "set-bond", object: bond) }

    func makeParams() throws(CLIError) -> SetBondParams {
        let (mode, lacp, rate) = try settings.parsed(context)
        let p = SetBondParams(bridge: try context.interfaceName(bridge, what: "bridge name"),
                              bond: try context.interfaceName(bond, what: "bond name"), mode: mode, lacp: lacp, lacpRate: rate,
                              updelay: settings.updelay, downdelay: settings.downdelay)
        if mode == nil && lacp == nil && rate == nil && p.updelay == nil && p.downdelay == nil {
            throw context.refuse("nothing to set: give --mode, --lacp, --lacp-rate, --updelay or --downdelay")
        }
        return p
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.SetBond.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
