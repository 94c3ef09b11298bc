/// One `--allowed-address MAC[,IP…]` entry of a port: a source MAC the port's VM may use and,
/// when any are listed, the only IPv4/IPv6 source addresses it may use with it.
public struct AllowedAddress: Codable, Sendable, Equatable, CustomStringConvertible {
    public var mac: MACAddress
    public var addresses: [IPAddress]

    public init(mac: MACAddress, addresses: [IPAddress] = []) { self.mac = mac; self.addresses = addresses }

    /// Parses `52:54:00:00:00:01[,10.0.0.5,2001:db8::5]`.
    public static func parse(_ text: String) throws(ModelError) -> AllowedAddress {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let mac = MACAddress(first) else {
            throw ModelError("allowed address '\(text)' must start with a MAC address (52:54:00:12:34:56[,IP…])")
        }
        guard mac.isValidSource else { throw ModelError("allowed address '\(text)': \(mac) must be a unicast MAC") }
        var addresses: [IPAddress] = []
        for p in parts.dropFirst() {
            guard let ip = IPAddress(p) else { throw ModelError("allowed address '\(text)': '\(p)' is not an IPv4 or IPv6 address") }
            addresses.append(ip)
        }
        return AllowedAddress(mac: mac, addresses: addresses)
    }

    public var description: String { ([mac.description] + addresses.map(\.description)).joined(separator: ",") }

    private enum CodingKeys: String, CodingKey { case mac, addresses }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mac = try c.decode(MACAddress.self, forKey: .mac)
        let texts = try c.decodeIfPresent([String].self, forKey: .addresses) ?? []
        addresses = try texts.map { t in
            guard let ip = IPAddress(t) else {
                throw DecodingError.dataCorruptedError(forKey: .addresses, in: c, debugDescription: "invalid IP address '\(t)'")
            }
            return ip
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mac, forKey: .mac)
        if !addresses.isEmpty { try c.encode(addresses.map(\.description), forKey: .addresses) }
    }
}
