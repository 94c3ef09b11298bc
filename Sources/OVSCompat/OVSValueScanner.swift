/// Reading values the way ovs-vsctl does: `10`, `"quoted"`, `[10,20]`, `10,20`, `{k=v, k2=v2}`,
/// `@name` for a row created later on the same command line.
struct OVSValueScanner {
    private let chars: [Character]
    private(set) var index = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { index >= chars.count }
    var peek: Character? { atEnd ? nil : chars[index] }
    var rest: String { String(chars[min(index, chars.count)...]) }

    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { index += 1 } }

    mutating func take(_ c: Character) -> Bool {
        skipSpaces()
        if peek == c { index += 1; return true }
        return false
    }

    /// A quoted string (JSON escapes) or a bare token ending at one of `stops` or a blank.
    mutating func token(stops: Set<Character>) throws(OVSError) -> (text: String, quoted: Bool) {
        skipSpaces()
        if peek == "\"" {
            index += 1
            var out = ""
            while let c = peek {
                index += 1
                if c == "\"" { return (out, true) }
                if c == "\\" {
                    guard let e = peek else { break }
                    index += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "u":
                        let hex = String(chars[index..<min(index + 4, chars.count)])
                        guard hex.count == 4, let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                            throw OVSError("bad \\u escape in quoted string")
                        }
                        out.unicodeScalars.append(u)
                        index += 4
                    default: out.append(e)
                    }
                } else {
                    out.append(c)
                }
            }
            throw OVSError("unterminated quoted string")
        }
        var out = ""
        while let c = peek, !stops.contains(c), c != " ", c != "\t" { out.append(c); index += 1 }
        return (out, false)
    }
}

