import ArgumentParser
import Foundation
import Topology

/// `tapestry export [FILE] [--host NAME]`: the live desired state as a topology file apply accepts.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print the live bridges, ports, static MACs and networks as a topology file.",
        discussion: """
            Without FILE: the daemon at --socket. With FILE: each of its hosts' daemons (or only --host). \
            Nodes and lab plumbing are not daemon state and are not exported.
            """)

    @Argument(help: ArgumentHelp("A topology file whose hosts to export.", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Only this host of FILE.", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("With FILE: the prefix it was applied with.", valueName: "prefix"))
    var prefix: String = ""

    @Option(help: ArgumentHelp("With FILE: the lab directory it was applied with.", valueName: "dir"))
    var labDir: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let lab: String
        let model: LabModel
        var implicit = true
        if let file {
            var topo = TopologyOptions()
            topo.file = file
            topo.prefix = prefix
            topo.labDir = labDir
            let parsed = try topo.load()
            lab = parsed.name
            implicit = parsed.implicitHost
            model = LabModel(file: parsed, options: try topo.labOptions(options))
        } else {
            var f = TopologyFile(path: "-", name: "exported")
            f.implicitHost = true
            f.hosts = [HostSpec(name: "local", position: SourcePosition(file: "-", line: 1, column: 1), access: .socket(nil))]
            lab = "exported"
            model = LabModel(file: f, options: LabOptions(defaultSocket: options.socketPath))
        }
        let observed = TopologyApplier(model: model, file: file ?? "-", host: TopologyHostSystem()).observe()
        var hosts: [TopologyExporter.Host] = []
        for h in model.hosts where host == nil || h.name == host {
            guard let oh = observed.hosts[h.name] else { throw CLIError(message: "could not export host \(h.name): its daemon at \(h.socketPath) does not answer") }
            hosts.append(TopologyExporter.Host(name: h.name, socket: h.isLab ? nil : (file == nil ? nil : h.socketPath), observed: oh))
        }
        if let host, hosts.isEmpty { throw CLIError(message: "could not export host \(host): no such host") }
        print(TopologyExporter.yaml(lab: lab, hosts: hosts, implicitHost: implicit || hosts.count == 1 && file == nil), terminator: "")
    }
}
