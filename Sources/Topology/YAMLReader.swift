import Yams

/// Reads a composed YAML tree with positions, reporting wrong types, unknown and duplicate keys
/// to a `DiagnosticSink` rather than stopping at the first one.
final class YAMLReader {
    let file: String
    var sink = DiagnosticSink()

    init(file: String) { self.file = file }

    func position(_ node: Node) -> SourcePosition {
        let m = node.mark
        return SourcePosition(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    func error(_ node: Node, _ message: String) { sink.error(position(node), message) }
    func error(_ position: SourcePosition, _ message: String) { sink.error(position, message) }

    /// A YAML type name for messages.
    static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch node.tagName {
            case .null: return "null"
            case .int: return "a number"
            case .float: return "a number"
            case .bool: return "true/false"
            default: return "a string"
            }
        }
    }

    /// Reads `node` as a mapping of `what` whose keys must be in `allowed`; nil (and an error) otherwise.
    func mapping(_ node: Node, _ what: String, allowed: [String]) -> MappingView? {
        guard case .mapping(let m) = node else {
            error(node, "\(what) must be a mapping, not \(Self.kind(node))")
            return nil
        }
        var entries: [MappingView.Entry] = []
        var seen: [String: SourcePosition] = [:]
        for (k, v) in m {
            guard case .scalar(let s) = k else { error(k, "\(what): keys must be plain strings"); continue }
            let key = s.string
            if let first = seen[key] {
                error(k, "duplicate key '\(key)' in \(what) (first at line \(first.line))")
                continue
            }
            seen[key] = position(k)
            if !allowed.isEmpty && !allowed.contains(key) {
                var msg = "unknown key '\(key)' in \(what)"
                if let guess = closest(key, among: allowed) { msg += " (did you mean '\(guess)'?)" }
                else { msg += " (expected one of: \(allowed.joined(separator: ", ")))" }
                error(k, msg)
                continue
            }
            entries.append(.init(key: key, keyNode: k, value: v))
        }
        return MappingView(reader: self, node: node, what: what, entries: entries)
    }

    /// The keys of a name → spec mapping (bridges, hosts, ports ...), with duplicates reported.
    func namedEntries(_ node: Node, _ what: String) -> [MappingView.Entry] {
        mapping(node, what, allowed: [])?.entries ?? []
    }

    /// The nearest allowed key within edit distance 2, for "did you mean".
    private func closest(_ key: String, among allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(Array(key), Array($0))) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}

/// A mapping being read: typed getters that report what is wrong at the value's position.
struct MappingView {
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
    }

    let reader: YAMLReader
    let node: Node
    let what: String
    let entries: [Entry]

    var position: SourcePosition { reader.position(node) }

    subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// Where `key`'s value is, else where the mapping is.
    func position(of key: String) -> SourcePosition { self[key].map(reader.position) ?? position }

    /// A scalar as its text (numbers and MAC-like values kept as written); errors for lists, mappings, null.
    func string(_ key: String) -> String? {
        guard let v = self[key] else { return nil }
        return reader.scalarText(v, "\(key) of \(what)")
    }

    /// A whole number written plainly (not quoted), within `range`.
    func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
        guard let v = self[key] else { return nil }
        return reader.integer(v, "\(key) of \(what)", range)
    }

    func bool(_ key: String) -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .scalar(let s) = v, v.tagName == .bool, let b = v.bool else {
            reader.error(v, "\(key) of \(what) must be true or false, not \(YAMLReader.kind(v))")
            return nil
        }
        _ = s
        return b
    }

    /// A list; a single scalar is accepted as a list of one when `single` is set.
    func list(_ key: String, single: Bool = false) -> [Node]? {
        guard let v = self[key] else { return nil }
        if case .sequence(let s) = v { return Array(s) }
        if single, case .scalar = v, v.tagName != .null { return [v] }
        reader.error(v, "\(key) of \(what) must be a list, not \(YAMLReader.kind(v))")
        return nil
    }

    /// A list of strings (or one string).
    func strings(_ key: String) -> [(String, SourcePosition)]? {
        guard let nodes = list(key, single: true) else { return nil }
        return nodes.compactMap { n in reader.scalarText(n, "an item of \(key) of \(what)").map { ($0, reader.position(n)) } }
    }
}

extension YAMLReader {
    func scalarText(_ v: Node, _ what: String) -> String? {
        guard case .scalar(let s) = v, v.tagName != .null else {
            error(v, "\(what) must be a single value, not \(Self.kind(v))")
            return nil
        }
        return s.string
    }

    func integer(_ v: Node, _ what: String, _ range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let s) = v, v.tagName == .int || v.tagName == .str,
              !s.string.isEmpty, s.string.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s.string) else {
            error(v, "\(what) must be a whole number, not \(Self.kind(v))")
            return nil
        }
        guard range.contains(n) else {
            error(v, "\(what) \(n) out of range \(range.lowerBound)-\(range.upperBound)")
            return nil
        }
        return n
    }
}

extension Node {
    /// The resolved tag (`tag:yaml.org,2002:int` ...), through Yams's public description.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}
