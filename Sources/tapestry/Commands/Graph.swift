import ArgumentParser
import ControlProtocol
import Foundation
import HostSystem
import TapestryModel
import Topology

/// `tapestry graph [FILE] [--format dot|svg]`: the live topology (bridges, ports and VLANs, tunnels,
/// mirrors, networks) — or, given a topology file, the lab it declares — as Graphviz dot text, or SVG.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Draw the live topology: bridges, ports and VLANs, tunnels, networks.",
        discussion: """
            Prints Graphviz dot text; --format svg pipes it through `dot -Tsvg` when Graphviz is installed \
            (dot text otherwise, with a note on stderr). E.g. tapestry graph --format svg > topology.svg. \
            With a topology FILE it draws the hosts, bridges, ports, VLANs, networks, nodes and tunnels the file declares.
            """)

    @Option(help: ArgumentHelp(
        "The daemon's control socket (default: $TAPESTRY_SOCKET, else \(GlobalOptions.defaultSocketPath)).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("dot (default) or svg.", valueName: "dot|svg"))
    var format: String?

    @Argument(help: ArgumentHelp("A topology file to draw instead of the live topology.", valueName: "file"))
    var file: String?

    enum Kind: String, CaseIterable { case dot, svg }

    var context: CommandContext { CommandContext(verb: "graph", object: file) }

    func kind() throws(CLIError) -> Kind {
        try context.choice(format, option: "format", among: Kind.allCases) ?? .dot
    }

    func validate() throws { _ = try kind() }

    func run() throws {
        let kind = try kind()
        let text = try file.map { path throws(CLIError) in try renderFile(path) } ?? renderLive()
        guard kind == .svg else { print(text, terminator: ""); return }
        guard let dot = ChildProcess.find("dot") else {
            FileHandle.standardError.write(Data("note: Graphviz 'dot' is not installed; printing dot text\n".utf8))
            print(text, terminator: "")
            return
        }
        let out: ChildProcess.Output
        do { out = try ChildProcess.run(dot, ["-Tsvg"], input: text, timeout: 30) } catch { throw context.refuse("dot -Tsvg failed: \(error)") }
        guard out.ok else { throw context.refuse("dot -Tsvg failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        print(out.stdout, terminator: "")
    }

    /// The live daemon's bridges, mirrors and networks.
    func renderLive() throws(CLIError) -> String {
        let options: GlobalOptions
        do { options = try GlobalOptions.parse(socket.map { ["--socket", $0] } ?? []) } catch { throw context.refuse("\(error)") }
        let show = try options.call(Methods.Show.self, ShowParams(), context: context)
        var mirrors: [String: [MirrorConfig]] = [:]
        for b in show.bridges {
            if let list = try? options.call(Methods.MirrorList.self, ShowParams(bridge: b.name), context: context) {
                mirrors[b.name] = list.mirrors.map(\.mirror)
            }
        }
        let networks = (try? options.call(Methods.NetList.self, Empty(), context: context))?.networks ?? []
        var name = "localhost"
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return TopologyDot.render(host: name, show: show, mirrors: mirrors, networks: networks)
    }

    /// The lab a topology file declares (validated first; nothing is contacted).
    func renderFile(_ path: String) throws(CLIError) -> String {
        let parsed: TopologyFile
        do { parsed = try TopologyParser.load(path: path) } catch { throw CLIError(message: error.description) }
        return TopologyGraph.dot(LabModel(file: parsed))
    }
}
