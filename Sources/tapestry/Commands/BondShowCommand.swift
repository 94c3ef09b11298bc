import ArgumentParser
import ControlProtocol

/// `tapestry bond-show BOND`: like `ovs-appctl bond/show` and `lacp/show`.
struct BondShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bond-show",
        abstract: "Show a bond: its members (enabled, carrier, active), LACP actor and partner, and hash buckets per member.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bond.")
    var bond: String

    var context: CommandContext { CommandContext(verb: "bond-show", object: bond) }

    func makeParams() throws(CLIError) -> BondShowParams { BondShowParams(bond: try context.interfaceName(bond, what: "bond name")) }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let r = try options.call(Methods.BondShow.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(r)
        case .table:
            let c = r.config
            print("\(r.bond) on \(r.bridge): \(c.mode.rawValue)  lacp \(c.lacp.rawValue)"
                  + (c.lacp == .off ? "" : " (\(c.lacpRate.rawValue), \(r.lacpStatus))")
                  + "  updelay \(c.updelay) ms  downdelay \(c.downdelay) ms")
            for m in r.members {
                var line = "  member \(m.name): \(m.enabled ? "enabled" : "disabled")\(m.active ? " (active)" : "")"
                    + "  carrier \(m.carrier ? "on" : "off")"
                if c.mode != .activeBackup { line += "  buckets \(m.buckets)" }
                print(line)
                if let a = m.actor {
                    print("    actor   system \(a.system) key \(a.key) port \(a.port)  \(a.state.joined(separator: ","))")
                    if let p = m.partner {
                        print("    partner system \(p.system) key \(p.key) port \(p.port)  \(p.state.joined(separator: ","))")
                    } else {
                        print("    partner none")
                    }
                    print("    lacpdus rx \(m.rxLACPDUs ?? 0) tx \(m.txLACPDUs ?? 0) bad \(m.rxBadLACPDUs ?? 0)")
                }
            }
        }
    }
}
