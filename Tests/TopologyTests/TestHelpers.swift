import Foundation
@testable import Topology

/// Parses YAML text as `t.yaml`; referenced files come from `files`.
func parse(_ text: String, files: [String: String] = [:]) throws(TopologyError) -> TopologyFile {
    let loader: TopologyParser.FileLoader = { path in
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let text = files[name] else { throw CocoaError(.fileNoSuchFile) }
        return text
    }
    return try TopologyParser.parse(text, path: "t.yaml", loader: loader)
}

/// The diagnostics of a file that must not parse, as `LINE:COL: message`.
func problems(_ text: String, files: [String: String] = [:]) -> [String] {
    do {
        _ = try parse(text, files: files)
        return []
    } catch {
        return error.diagnostics.map { "\($0.position.line):\($0.position.column): \($0.message)" }
    }
}

/// The repository's Topologies directory.
let topologiesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Topologies").path
