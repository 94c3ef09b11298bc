/// How cell values are printed: `--data=string` (the default), `bare` or `json`.
public enum OVSDataFormat: String, Sendable {
    case string, bare, json
}

extension OVSAtom {
    /// The atom as ovs-vsctl prints it in `string` data format: strings quoted unless they are a
    /// plain word (letters, `_`, `-`, `.`, not starting with `-`/`.`, not true/false, not a UUID).
    public var quotedText: String {
        switch self {
        case .string(let s): return OVSAtom.needsQuotes(s) ? OVSAtom.jsonString(s) : s
        default: return text
        }
    }

    static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCIILetter || first == "_" else { return true }
        for c in s.unicodeScalars.dropFirst() where !(c.isASCIILetter || c == "_" || c == "-" || c == ".") { return true }
        return s == "true" || s == "false" || OVSUUID.isValid(s)
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u" + String(u.value, radix: 16).leftPad(4) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// The atom in OVSDB's JSON notation.
    public var json: String {
        switch self {
        case .integer(let n): return String(n)
        case .real: return text
        case .boolean(let b): return b ? "true" : "false"
        case .string(let s): return OVSAtom.jsonString(s)
        case .uuid(let u): return "[\"uuid\",\(OVSAtom.jsonString(u))]"
        }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) }
}

extension OVSDatum {
    /// The datum as text in `format`, for a column of type `type`.
    public func formatted(_ format: OVSDataFormat, type: OVSColumnType) -> String {
        switch format {
        case .json:
            if let values {
                return "[\"map\",[" + zip(keys, values).map { "[\($0.json),\($1.json)]" }.joined(separator: ",") + "]]"
            }
            if keys.count == 1 { return keys[0].json }
            return "[\"set\",[" + keys.map(\.json).joined(separator: ",") + "]]"
        case .bare:
            if let values { return zip(keys, values).map { "\($0.text)=\($1.text)" }.joined(separator: " ") }
            return keys.map(\.text).joined(separator: " ")
        case .string:
            if let values {
                return "{" + zip(keys, values).map { "\($0.quotedText)=\($1.quotedText)" }.joined(separator: ", ") + "}"
            }
            if type.max == 1 { return keys.first?.quotedText ?? "[]" }
            return "[" + keys.map(\.quotedText).joined(separator: ", ") + "]"
        }
    }
}
