/// An 802.1Q VLAN identifier usable on a port: 1...4094 (0 and 4095 are reserved).
public struct VLANID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let value: UInt16
    public static let valid: ClosedRange<UInt16> = 1...4094

    /// Nil unless `value` is in 1...4094.
    public init?(_ value: Int) {
        guard value >= 1 && value <= 4094 else { return nil }
        self.value = UInt16(value)
    }

    /// Parses a decimal VLAN id; throws a message naming the bad text.
    public static func parse(_ text: String) throws(ModelError) -> VLANID {
        let digits = text.trimmingSpaces
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let n = Int(digits), let v = VLANID(n) else {
            throw ModelError("invalid VLAN '\(text)': must be a number from 1 to 4094")
        }
        return v
    }

    public var description: String { String(value) }
    public static func < (a: VLANID, b: VLANID) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let n = try c.decode(Int.self)
        guard let v = VLANID(n) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid VLAN \(n): must be 1-4094")
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Int(value))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
