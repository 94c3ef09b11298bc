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
        let runner = try topology.runner(file, options, verb: "plan")
        var changes = Planner.plan(desired: runner.model, observed: runner.observe(), record: runner.hasRecord ? runner.record : nil)
        if let host { changes = try Apply.only(changes, host: host, model: runner.model) }
        try PlanOutput.print(changes, format: options.format, lab: runner.model.name)
    }
}
