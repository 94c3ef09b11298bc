import ArgumentParser
import Topology

/// `tapestry plan FILE`: what apply would change, `+` create, `~` modify, `-` delete, per host.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what apply would change, without changing anything.")

    @OptionGroup var topology: TopologyOptions
    @OptionGroup var options: GlobalOptions

    @Option(help: ArgumentHelp("Only the changes on this host.", valueName: "host"))
    var host: String?

    func run() throws {
        let file = try topology.load()
        let applier = try topology.applier(file, options)
        let changes: [PlannedChange]
        do { changes = try applier.plan(onlyHost: host) } catch { throw CLIError(message: error.description) }
        try PlanOutput.print(changes, format: options.format, lab: applier.model.name)
    }
}
