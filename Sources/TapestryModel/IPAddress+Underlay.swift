/// Strict parsing, classification and the JSON form of `IPAddress` where it names a tunnel
/// underlay endpoint (a VXLAN remote or local address, a cluster host's VTEP).
extension IPAddress: Codable {
    /// Parses an underlay address: a dotted quad without leading zeros (`10.0.0.2`, never the
    /// ambiguous `010.0.0.2`) or an IPv6 address (`2001:db8::2`); nil for anything else.
    public init?(strict text: String) {
        if text.contains(":") {
            self.init(text)
        } else {
            guard let v4 = IPv4Address(text) else { return nil }
            self.init(v4)
        }
    }

    /// `0.0.0.0` or `::`.
    public var isUnspecified: Bool { high == 0 && low == 0 }
    /// `224.0.0.0/4` or `ff00::/8`.
    public var isMulticast: Bool {
        family == .ipv4 ? ipv4Value >> 28 == 0xE : high >> 56 == 0xFF
    }
    /// `0.0.0.0/8` ("this network", RFC 1122): never a destination; the datapath keys IPv6 remotes in that range.
    public var isThisNetwork: Bool { family == .ipv4 && ipv4Value >> 24 == 0 }
    /// `255.255.255.255` (IPv6 has no broadcast).
    public var isBroadcast: Bool { family == .ipv4 && ipv4Value == .max }

    /// The unspecified address of `family` (`0.0.0.0` or `::`): "any" for a socket to bind to.
    public static func unspecified(_ family: Family) -> IPAddress {
        family == .ipv4 ? IPAddress(ipv4: 0) : IPAddress(ipv6High: 0, low: 0)
    }

    /// Decodes the text form; a JSON string written as an IPv4 address (older files, etcd records) reads as before.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let a = IPAddress(strict: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid IP address '\(s)'")
        }
        self = a
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
