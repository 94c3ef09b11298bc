import ArgumentParser
import TapestryModel

/// The bond settings `add-bond` and `set-bond` share.
struct BondOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        active-backup (default): one member carries everything; balance-slb: by source MAC and VLAN, no LACP needed; \
        balance-tcp: by the L3/L4 flow, needs LACP.
        """, valueName: "active-backup|balance-slb|balance-tcp"))
    var mode: String?

    @Option(help: ArgumentHelp("Negotiate with LACP (802.1AX): active sends LACPDUs, passive answers (default off).",
                               valueName: "off|active|passive"))
    var lacp: String?

    @Option(help: ArgumentHelp("Ask the partner for a LACPDU every second (fast: 3 s to detect a silent partner) or 30 s (slow, default).",
                               valueName: "fast|slow"))
    var lacpRate: String?

    @Option(help: ArgumentHelp("Milliseconds a member's carrier must be up before it carries traffic (0-600000, default 0).",
                               valueName: "ms"))
    var updelay: Int?

    @Option(help: ArgumentHelp("Milliseconds a member's carrier must be down before its traffic moves (0-600000, default 0).",
                               valueName: "ms"))
    var downdelay: Int?

    func parsed(_ context: CommandContext) throws(CLIError) -> (BondConfig.Mode?, BondConfig.LACP?, BondConfig.Rate?) {
        let m = try context.choice(mode, option: "mode", among: BondConfig.Mode.allCases)
        let l = try context.choice(lacp, option: "lacp", among: BondConfig.LACP.allCases)
        let r = try context.choice(lacpRate, option: "lacp rate", among: BondConfig.Rate.allCases)
        for (name, v) in [("updelay", updelay), ("downdelay", downdelay)] {
            if let v, !BondConfig.delayRange.contains(v) { throw context.refuse("--\(name) \(v) ms out of range 0-600000") }
        }
        return (m, l, r)
    }
}
