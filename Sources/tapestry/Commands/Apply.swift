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
        let runner = try topology.runner(file, options, verb: "apply")
        let context = CommandContext(verb: "apply", object: topology.file)
        let hadRecord = runner.hasRecord
        var changes = Planner.plan(desired: runner.model, observed: runner.observe(), record: hadRecord ? runner.record : nil)
        if let host { changes = try Apply.only(changes, host: host, model: runner.model) }
        if changes.isEmpty {
            print("nothing to do: lab \(runner.model.name) is up to date")
            return
        }
        // Lab plumbing first (namespaces, daemons, links); then what the daemons hold, planned again
        // against the daemons now running.
        let plumbing = changes.filter { $0.action == .delete || !$0.object.isDaemonObject && !Apply.isLate($0.object) }
        var count = 0
        do {
            try runner.run(plumbing) { print($0.description); count += 1 }
            var rest = Planner.plan(desired: runner.model, observed: runner.observe(), record: runner.record)
            if let host { rest = try Apply.only(rest, host: host, model: runner.model) }
            try runner.run(rest) { print($0.description); count += 1 }
        } catch let e as CLIError {
            throw e
        } catch {
            throw context.refuse("\(error)")
        }
        runner.record.name = runner.model.name
        runner.record.file = topology.file
        runner.record.namespaces = Array(Set(runner.record.namespaces).union(runner.model.namespaces.filter { ns in
            !runner.model.hosts.contains { $0.namespace == ns } })).sorted()
        var objects = Planner.objects(of: runner.model)
        if host != nil { objects += runner.record.objects.filter { !objects.contains($0) } }
        runner.record.objects = objects
        runner.saveRecord()
        print("applied \(count) change\(count == 1 ? "" : "s") to lab \(runner.model.name)")
    }

    /// Changes that depend on the daemons' objects (addresses on internal ports, node settings).
    static func isLate(_ o: ObjectRef) -> Bool {
        switch o {
        case .address, .nodeConfig: return true
        default: return false
        }
    }

    /// The changes that concern one host (its namespace, daemon, objects, and its nodes).
    static func only(_ changes: [PlannedChange], host: String, model: LabModel) throws(CLIError) -> [PlannedChange] {
        guard let h = model.host(named: host) else {
            throw CLIError(message: "could not select host \(host): no such host (hosts: \(model.hosts.map(\.name).joined(separator: ", ")))")
        }
        let nodes = Set(model.nodes.filter { $0.host == host }.map(\.name))
        let nodeNamespaces = Set(model.nodes.filter { $0.host == host }.map(\.namespace))
        return changes.filter { c in
            if let o = c.object.host { return o == host }
            switch c.object {
            case .namespace(let ns): return ns == h.namespace || nodeNamespaces.contains(ns)
            case .nodeLink(let n), .nodeConfig(let n): return nodes.contains(n)
            default: return false
            }
        }
    }
}
