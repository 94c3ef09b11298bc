/// Where something is in a topology file: 1-based line and column, as editors count them.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }

    /// `FILE:LINE:COL`.
    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem found in a topology file: `FILE:LINE:COL: message`.
public struct TopologyDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String

    public init(_ position: SourcePosition, _ message: String) { self.position = position; self.message = message }

    public var description: String { "\(position): \(message)" }
}

/// A topology file that cannot be used: every problem found, in file order.
public struct TopologyError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [TopologyDiagnostic]

    public init(_ diagnostics: [TopologyDiagnostic]) { self.diagnostics = diagnostics.sorted { $0.position < $1.position } }

    /// One line per problem.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects problems while a file is read and checked, so that all of them are reported at once.
struct DiagnosticSink {
    private(set) var diagnostics: [TopologyDiagnostic] = []

    mutating func error(_ position: SourcePosition, _ message: String) {
        let d = TopologyDiagnostic(position, message)
        if !diagnostics.contains(d) { diagnostics.append(d) }
    }

    var isEmpty: Bool { diagnostics.isEmpty }
}
