import ArgumentParser
import Topology

/// `tapestry apply FILE [--host NAME]`: converge to the file; a second apply finds nothing to do.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Make the hosts match a topology file.",
        discussion: """
            Creates the lab's namespaces, daemons, underlay and nodes, then bridges, networks, ports and static \
            MACs through each host's tapestryd, and removes what an earlier apply made that the file no longer has. \
            If a change fails, what this apply changed is undone and the error names the change.
            """)

    @OptionGroup var topology: TopologyOptions
    @OptionGroup var options: GlobalOptions

    @Option(help: ArgumentHelp("Only change this host.", valueName: "host"))
    var host: String?

    func run() throws {
        let file = try topology.load()
        let applier = try topology.applier(file, options)
        let context = CommandContext(verb: "apply", object: topology.file)
        let count: Int
        do {
            count = try applier.apply(onlyHost: host) { print($0.description) }
        } catch {
            throw error.description.hasPrefix("could not select") ? CLIError(message: error.description) : context.refuse(error.description)
        }
        if count == 0 {
            print("nothing to do: lab \(applier.model.name) is up to date")
        } else {
            print("applied \(count) change\(count == 1 ? "" : "s") to lab \(applier.model.name)")
        }
    }
}
