/// A `COLUMN[:KEY][=VALUE]` argument of `get`, `set`, `find`, `add-port` …, split as ovs-vsctl
/// splits it; `op` is `=` or `!=` for `find` conditions.
struct OVSColumnArgument: Sendable, Equatable {
    var column: String
    var key: String?
    var op: String?
    var value: String?

    init(_ text: String, allowConditions: Bool = false) throws(OVSError) {
        var chars = Substring(text)
        var name = ""
        while let c = chars.first, c.isLetter || c.isNumber || c == "_" || c == "-" { name.append(c); chars = chars.dropFirst() }
        guard !name.isEmpty else { throw OVSError("\"\(text)\": missing column name") }
        column = name
        if chars.first == ":" {
            chars = chars.dropFirst()
            var s = OVSValueScanner(String(chars))
            let k = try s.token(stops: ["=", "!"])
            key = k.quoted ? OVSAtom.jsonString(k.text) : k.text
            chars = Substring(s.rest)
            guard !(key ?? "").isEmpty else { throw OVSError("\"\(text)\": missing key after ':'") }
        }
        if chars.hasPrefix("!=") && allowConditions {
            op = "!="; value = String(chars.dropFirst(2))
        } else if chars.hasPrefix("=") {
            op = "="; value = String(chars.dropFirst())
        } else if !chars.isEmpty {
            throw OVSError("\"\(text)\": trailing garbage \"\(chars)\"")
        }
    }
}
