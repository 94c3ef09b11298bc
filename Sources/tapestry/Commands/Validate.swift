import ArgumentParser
import Topology

/// `tapestry validate FILE`: every problem as `FILE:LINE:COL: message`, exit 1; nothing is touched.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a topology file without touching anything.",
        discussion: "Prints every problem as FILE:LINE:COL: message and exits with status 1 when there is any.")

    @OptionGroup var topology: TopologyOptions
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let file = try topology.load()
        let ports = file.bridges.reduce(0) { $0 + $1.ports.count } + file.networks.reduce(0) { $0 + $1.ports.count }
        print("\(topology.file): valid (lab \(file.name): \(file.hosts.count) host\(file.hosts.count == 1 ? "" : "s"), \(file.bridges.count) bridges, \(ports) ports, \(file.networks.count) networks, \(file.segments.count) segments, \(file.nodes.count) nodes)")
    }
}
