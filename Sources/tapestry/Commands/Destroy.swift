import ArgumentParser
import Foundation
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
        let runner = try topology.runner(file, options, verb: "destroy")
        let changes = Planner.destroyPlan(desired: runner.model, observed: runner.observe(), record: runner.hasRecord ? runner.record : nil)
        var failures: [String] = []
        for c in changes {
            do { _ = try runner.perform(c.step); print(c.description) } catch { failures.append("\(c.summary): \(error)") }
        }
        if failures.isEmpty {
            try? FileManager.default.removeItem(atPath: runner.model.directory)
        } else {
            runner.saveRecord()
            throw CLIError(message: "could not destroy \(topology.file) completely: " + failures.joined(separator: "; "))
        }
        print(changes.isEmpty ? "nothing to destroy: lab \(runner.model.name) is not there" : "destroyed lab \(runner.model.name)")
    }
}
