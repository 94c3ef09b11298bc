/// UUIDs: the canonical text form, and stable ones derived from names for the rows Tapestry
/// keeps by name (bridges, ports, interfaces).
public enum OVSUUID {
    public static func isValid(_ s: String) -> Bool {
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return s.allSatisfy { $0 == "-" || $0.isHexDigit }
    }

    /// A UUID that is always the same for `name` in `table` (two 64-bit FNV-1a hashes).
    public static func stable(table: String, name: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
            for b in (table + "\u{0}" + name).utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01B3 }
            return h
        }
        let hi = fnv(0x5441_5045), lo = fnv(0x5354_5259)
        let hex = String(hi, radix: 16).leftPad(16) + String(lo, radix: 16).leftPad(16)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
