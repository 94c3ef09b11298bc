import ArgumentParser
import Foundation
import Topology

/// Options of the topology verbs (validate, plan, apply, destroy, graph): the file and where its lab lives.
struct TopologyOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The topology file (YAML).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Prepended to the lab's name and to every namespace it creates (to run a lab twice side by side).",
                               valueName: "prefix"))
    var prefix: String = ""

    @Option(help: ArgumentHelp("Where labs keep their daemons' state and pids (default: $TAPESTRY_LAB_DIR, else \(LabOptions.defaultLabsDirectory)).",
                               valueName: "dir"))
    var labDir: String?

    /// Reads and validates the file; every problem becomes one `FILE:LINE:COL: message` line.
    func load() throws(CLIError) -> TopologyFile {
        do { return try TopologyParser.load(path: file) } catch { throw CLIError(message: error.description) }
    }

    func labOptions(_ global: GlobalOptions) throws(CLIError) -> LabOptions {
        if !prefix.isEmpty && !prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            throw CLIError(message: "could not use prefix '\(prefix)': only letters, digits, '-' and '_'")
        }
        let dir = labDir ?? ProcessInfo.processInfo.environment["TAPESTRY_LAB_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? LabOptions.defaultLabsDirectory
        return LabOptions(prefix: prefix, labsDirectory: dir, defaultSocket: global.socketPath)
    }

    /// The applier of this file's lab on this machine.
    func applier(_ file: TopologyFile, _ global: GlobalOptions) throws(CLIError) -> TopologyApplier {
        TopologyApplier(model: LabModel(file: file, options: try labOptions(global)), file: self.file, host: TopologyHostSystem())
    }
}

/// A plan as JSON: one object per change.
struct PlanLine: Encodable {
    var action: String
    var host: String?
    var change: String
}

enum PlanOutput {
    static func print(_ changes: [PlannedChange], format: OutputFormat, lab: String, verb: String = "apply") throws(CLIError) {
        switch format {
        case .json:
            try JSONOutput.print(changes.map { PlanLine(action: $0.action == .create ? "create" : $0.action == .modify ? "modify" : "delete",
                                                        host: $0.object.host, change: $0.summary) })
        case .table:
            if changes.isEmpty { Swift.print("nothing to do: lab \(lab) is up to date"); return }
            for c in changes { Swift.print(c.description) }
            let n = { (a: PlannedChange.Action) in changes.filter { $0.action == a }.count }
            Swift.print("\(verb) would make \(changes.count) change\(changes.count == 1 ? "" : "s"): \(n(.create)) to create, \(n(.modify)) to modify, \(n(.delete)) to delete")
        }
    }
}
