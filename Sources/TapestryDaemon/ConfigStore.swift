import Foundation
import HostSystem
import TapestryModel

/// The desired state on disk (`<state-dir>/config.json`), written atomically so that a crash
/// leaves the old or the new version, never a mix.
public struct ConfigStore: Sendable {
    public let path: String

    public init(stateDirectory: String) { path = stateDirectory + "/config.json" }

    /// The stored state; an empty state when there is no file yet. A file that does not parse is an error:
    /// the daemon will not start over a config it cannot read.
    public func load() throws -> DesiredState {
        AtomicFile.removeLeftovers(of: path)
        guard FileManager.default.fileExists(atPath: path) else { return DesiredState() }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SystemError("read \(path)", cause: "\(error.localizedDescription)")
        }
        do {
            let state = try JSONDecoder().decode(DesiredState.self, from: data)
            try state.validate()
            return state
        } catch let e as ModelError {
            throw SystemError("load \(path)", cause: e.message)
        } catch {
            throw SystemError("load \(path)", cause: describe(decodingError: error))
        }
    }

    public func save(_ state: DesiredState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(state), to: path)
    }
}

/// A decoding error as one line: where in the document and what was wrong.
func describe(decodingError error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case DecodingError.dataCorrupted(let c):
        return c.codingPath.isEmpty ? "not valid JSON (\(c.underlyingError.map { "\($0)" } ?? c.debugDescription))"
            : "\(path(c.codingPath)): \(c.debugDescription)"
    case DecodingError.keyNotFound(let k, let c): return "\(path(c.codingPath + [k])): missing"
    case DecodingError.typeMismatch(let t, let c): return "\(path(c.codingPath)): expected \(t)"
    case DecodingError.valueNotFound(let t, let c): return "\(path(c.codingPath)): expected \(t), found null"
    default: return "\(error)"
    }
}
