/// A 48-bit Ethernet MAC address, stored in network byte order in the low 48 bits of a `UInt64`.
public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The address as an integer: the first octet is the most significant of the low 48 bits.
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    public init(_ octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) {
        self.init(rawValue: UInt64(octets.0) << 40 | UInt64(octets.1) << 32 | UInt64(octets.2) << 24
            | UInt64(octets.3) << 16 | UInt64(octets.4) << 8 | UInt64(octets.5))
    }

    /// Creates an address from six octets, first on the wire first; nil when the count is not six.
    public init?(octets: [UInt8]) {
        guard octets.count == 6 else { return nil }
        self.init(rawValue: octets.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (also `-` separated), case-insensitive; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let groups = parts.count == 6 ? parts : text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.count == 6 else { return nil }
        var value: UInt64 = 0
        for group in groups {
            guard (1...2).contains(group.count), group.allSatisfy(\.isHexDigit), let byte = UInt8(group, radix: 16) else {
                return nil
            }
            value = value << 8 | UInt64(byte)
        }
        self.init(rawValue: value)
    }

    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(rawValue: 0)

    /// The I/G bit: set for group (multicast and broadcast) addresses.
    public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }
    public var isBroadcast: Bool { rawValue == MACAddress.broadcast.rawValue }
    /// A valid station address: unicast and not all zeros (what a bridge may learn).
    public var isValidSource: Bool { !isMulticast && rawValue != 0 }

    /// The six octets, first on the wire first.
    public var octets: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * $0)) } }

    public var description: String {
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        for (i, b) in octets.enumerated() {
            if i > 0 { s.append(":") }
            s.append(hex[Int(b >> 4)]); s.append(hex[Int(b & 0xF)])
        }
        return s
    }

    public static func < (a: MACAddress, b: MACAddress) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let mac = MACAddress(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid MAC address '\(s)'")
        }
        self = mac
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
