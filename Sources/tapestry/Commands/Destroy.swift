import ArgumentParser
import Topology

/// `tapestry destroy FILE`: removes exactly what the file declares (and what earlier applies of it made).
struct Destroy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Remove what a topology file declared: lab namespaces, daemons, links, bridges, networks.",
        discussion: "Objects on existing daemons that the file does not declare are left alone.")

    @OptionGroup var topology: TopologyOptions
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let file = try topology.load()
        let applier = try topology.applier(file, options)
        let count: Int
        do { count = try applier.destroy { print($0.description) } } catch { throw CLIError(message: error.description) }
        print(count == 0 ? "nothing to destroy: lab \(applier.model.name) is not there" : "destroyed lab \(applier.model.name)")
    }
}
