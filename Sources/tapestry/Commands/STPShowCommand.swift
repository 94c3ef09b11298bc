import ArgumentParser
import ControlProtocol

/// `tapestry stp-show BRIDGE`: the bridge's spanning tree, like `ovs-appctl rstp/show`.
struct STPShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stp-show", abstract: "Show a bridge's spanning tree: root, root port, each port's role, state and BPDU counters.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    var context: CommandContext { CommandContext(verb: "stp-show", object: bridge) }

    func makeParams() throws(CLIError) -> STPShowParams { STPShowParams(bridge: try context.interfaceName(bridge, what: "bridge name")) }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        let r = try options.call(Methods.STPShow.self, makeParams(), context: context)
        switch options.format {
        case .json: try JSONOutput.print(r)
        case .table:
            print("\(r.bridge): \(r.mode.uppercased())  bridge \(r.bridgeID)\(r.isRoot ? "  (root bridge)" : "")")
            print("  root \(r.rootID)  cost \(r.rootPathCost)  root port \(r.rootPort ?? "-")  "
                  + "hello \(r.hello)s max-age \(r.maxAge)s forward-delay \(r.forwardDelay)s  topology changes \(r.topologyChanges)")
            let header = ["PORT", "ID", "ROLE", "STATE", "COST", "EDGE", "P2P", "PEER", "RX", "TX", "BAD", "FWD-TRANS"]
            let rows = r.ports.map { p in
                [p.name, p.portID, p.role, p.bpduGuardShut ? "guard-shut" : p.state, String(p.pathCost), p.edge ? "yes" : "no",
                 p.pointToPoint.map { $0 ? "yes" : "no" } ?? "-", p.legacyPeer ? "stp" : "-", String(p.rxBPDUs), String(p.txBPDUs), String(p.rxBad), String(p.forwardTransitions)]
            }
            let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
            for row in [header] + rows {
                let line = "  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ")
                print(String(line.reversed().drop { $0 == " " }.reversed()))
            }
        }
    }
}
