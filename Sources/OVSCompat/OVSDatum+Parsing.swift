extension OVSAtomType {
    /// Parses one atom of this type from `token` (already unquoted when `quoted`).
    func atom(from token: String, quoted: Bool) throws(OVSError) -> OVSAtom {
        switch self {
        case .integer(let range):
            guard !quoted, let n = Int(token) else { throw OVSError("\"\(token)\" is not a valid integer") }
            if let range, !range.contains(n) {
                throw OVSError("\(n) is not in the valid range \(range.lowerBound) to \(range.upperBound) (inclusive)")
            }
            return .integer(n)
        case .real:
            guard !quoted, let d = Double(token) else { throw OVSError("\"\(token)\" is not a valid real number") }
            return .real(d)
        case .boolean:
            guard !quoted, token == "true" || token == "false" else { throw OVSError("\"\(token)\" is not a valid boolean (use \"true\" or \"false\")") }
            return .boolean(token == "true")
        case .string(let enumeration):
            if !quoted && token.isEmpty { throw OVSError("missing value (an empty string is written \"\")") }
            if let enumeration, !enumeration.contains(token) {
                throw OVSError("\(token) is not one of the allowed values ([\(enumeration.joined(separator: ", "))])")
            }
            return .string(token)
        case .uuid:
            if !quoted, token.hasPrefix("@"), token.count > 1 { return .uuid(token) }
            let lower = token.lowercased()
            guard OVSUUID.isValid(lower) else { throw OVSError("\"\(token)\" is not a valid UUID") }
            return .uuid(lower)
        }
    }
}

extension OVSColumnType {
    private static let keyStops: Set<Character> = [",", "]", "}", "="]
    private static let valueStops: Set<Character> = [",", "]", "}"]

    /// Parses a whole column value (`set TABLE ROW column=VALUE`).
    func datum(from text: String) throws(OVSError) -> OVSDatum {
        var s = OVSValueScanner(text)
        let datum: OVSDatum
        if isMap, let valueType = value {
            let braced = s.take("{")
            var keys: [OVSAtom] = [], values: [OVSAtom] = []
            s.skipSpaces()
            if !(braced && s.peek == "}") && !s.atEnd {
                repeat {
                    let k = try s.token(stops: OVSColumnType.keyStops)
                    guard s.take("=") else { throw OVSError("\"\(text)\": expected key=value in a map") }
                    let v = try s.token(stops: OVSColumnType.valueStops)
                    keys.append(try key.atom(from: k.text, quoted: k.quoted))
                    values.append(try valueType.atom(from: v.text, quoted: v.quoted))
                } while s.take(",")
            }
            if braced && !s.take("}") { throw OVSError("\"\(text)\": missing } at the end of a map") }
            guard Set(keys).count == keys.count else { throw OVSError("\"\(text)\": map contains duplicate key") }
            datum = OVSDatum(keys: keys, values: values)
        } else {
            let bracketed = s.take("[")
            var keys: [OVSAtom] = []
            s.skipSpaces()
            if !(bracketed && s.peek == "]") && !s.atEnd {
                repeat {
                    let k = try s.token(stops: OVSColumnType.valueStops)
                    keys.append(try key.atom(from: k.text, quoted: k.quoted))
                } while s.take(",")
            }
            if bracketed && !s.take("]") { throw OVSError("\"\(text)\": missing ] at the end of a set") }
            datum = OVSDatum(keys: keys)
        }
        s.skipSpaces()
        guard s.atEnd else { throw OVSError("\"\(text)\": trailing garbage \"\(s.rest)\"") }
        guard datum.keys.count >= min else { throw OVSError("\"\(text)\": a value is required") }
        guard datum.keys.count <= max else { throw OVSError("\"\(text)\": at most \(max) value\(max == 1 ? "" : "s") allowed") }
        return datum
    }

    /// Parses one key of a map column (`column:KEY=value`) or one element of a set.
    func keyAtom(from text: String) throws(OVSError) -> OVSAtom {
        var s = OVSValueScanner(text)
        let k = try s.token(stops: [])
        s.skipSpaces()
        guard s.atEnd else { throw OVSError("\"\(text)\": trailing garbage") }
        return try key.atom(from: k.text, quoted: k.quoted)
    }

    /// Parses one value of a map column (`column:key=VALUE`).
    func valueAtom(from text: String) throws(OVSError) -> OVSAtom {
        guard let value else { throw OVSError("not a map column") }
        var s = OVSValueScanner(text)
        let v = try s.token(stops: [])
        s.skipSpaces()
        guard s.atEnd else { throw OVSError("\"\(text)\": trailing garbage") }
        return try value.atom(from: v.text, quoted: v.quoted)
    }
}

