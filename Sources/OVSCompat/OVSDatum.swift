/// One OVSDB atom: an integer, a real, a boolean, a string or a UUID (a reference to a row, or a
/// `@name` of a row created in the same command line, resolved at the end).
public enum OVSAtom: Hashable, Sendable, Comparable {
    case integer(Int)
    case real(Double)
    case boolean(Bool)
    case string(String)
    case uuid(String)

    public static func < (a: OVSAtom, b: OVSAtom) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x < y
        case (.real(let x), .real(let y)): return x < y
        case (.boolean(let x), .boolean(let y)): return !x && y
        case (.string(let x), .string(let y)), (.uuid(let x), .uuid(let y)): return x < y
        default: return a.sortRank < b.sortRank
        }
    }

    private var sortRank: Int {
        switch self { case .integer: 0; case .real: 1; case .boolean: 2; case .string: 3; case .uuid: 4 }
    }
}

/// The type of the atoms of one column's keys or values.
public enum OVSAtomType: Sendable, Equatable {
    case integer(ClosedRange<Int>?)
    case real
    case boolean
    /// A string, optionally one of a fixed set.
    case string(enumeration: [String]?)
    /// A reference to a row of the named table.
    case uuid(refTable: String?)
}

/// The type of a column: key (and value, for maps) atom types and how many elements it holds.
public struct OVSColumnType: Sendable, Equatable {
    public var key: OVSAtomType
    public var value: OVSAtomType?
    public var min: Int
    public var max: Int

    public static func scalar(_ t: OVSAtomType) -> OVSColumnType { OVSColumnType(key: t, value: nil, min: 1, max: 1) }
    public static func optional(_ t: OVSAtomType) -> OVSColumnType { OVSColumnType(key: t, value: nil, min: 0, max: 1) }
    public static func set(_ t: OVSAtomType, max: Int = Int.max) -> OVSColumnType { OVSColumnType(key: t, value: nil, min: 0, max: max) }
    public static func map(_ k: OVSAtomType, _ v: OVSAtomType) -> OVSColumnType { OVSColumnType(key: k, value: v, min: 0, max: Int.max) }
    public static let stringMap = OVSColumnType.map(.string(enumeration: nil), .string(enumeration: nil))

    public var isMap: Bool { value != nil }
    public var isScalar: Bool { min == 1 && max == 1 && value == nil }
}

/// A column's value: a set of keys, or a map of keys to values (kept sorted, as OVSDB does).
public struct OVSDatum: Sendable, Equatable {
    public var keys: [OVSAtom]
    public var values: [OVSAtom]?

    public init(keys: [OVSAtom] = [], values: [OVSAtom]? = nil) {
        if let values {
            let pairs = zip(keys, values).sorted { $0.0 < $1.0 }
            self.keys = pairs.map(\.0); self.values = pairs.map(\.1)
        } else {
            self.keys = Array(Set(keys)).sorted(); self.values = nil
        }
    }

    public static func atom(_ a: OVSAtom) -> OVSDatum { OVSDatum(keys: [a]) }
    public static func optional(_ a: OVSAtom?) -> OVSDatum { OVSDatum(keys: a.map { [$0] } ?? []) }
    public static func map(_ m: [String: String]) -> OVSDatum {
        OVSDatum(keys: m.keys.map { .string($0) }, values: m.keys.map { .string(m[$0] ?? "") })
    }
    public static let emptyMap = OVSDatum(keys: [], values: [])

    /// A string → string map back from a map datum.
    public var stringMap: [String: String] {
        var m: [String: String] = [:]
        for (k, v) in zip(keys, values ?? []) { m[k.text] = v.text }
        return m
    }

    /// The value of `key` in a map datum.
    public func value(forKey key: OVSAtom) -> OVSAtom? {
        guard let values, let i = keys.firstIndex(of: key) else { return nil }
        return values[i]
    }
}

extension OVSAtom {
    /// The atom as plain text (no quotes).
    public var text: String {
        switch self {
        case .integer(let n): return String(n)
        case .real(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .string(let s), .uuid(let s): return s
        }
    }
}
