/// An IPv4 address (tunnel endpoints), stored host-order in a `UInt32`.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let value: UInt32

    public init(value: UInt32) { self.value = value }

    /// Parses dotted-quad text (`10.0.0.2`); nil for anything else (no leading zeros or signs).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(p.count > 1 && p.first == "0"), let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        value = v
    }

    public var isUnspecified: Bool { value == 0 }
    public var isMulticast: Bool { value >> 28 == 0xE }
    public var isBroadcast: Bool { value == .max }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let a = IPv4Address(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid IPv4 address '\(s)'")
        }
        self = a
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
