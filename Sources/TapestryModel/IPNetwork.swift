/// An IPv4 or IPv6 address with a prefix length, `192.168.122.1/24` or `fd00::1/64`: an interface
/// address (with the subnet it is in) or a route's destination.
public struct IPNetwork: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address (host bits kept: an interface address is not masked).
    public var address: IPAddress
    /// The prefix length, 0...32 for IPv4 and 0...128 for IPv6.
    public var prefix: Int

    /// Creates a value; the prefix is clamped to the family's width.
    public init(address: IPAddress, prefix: Int) {
        self.address = address
        self.prefix = max(0, min(address.bitWidth, prefix))
    }

    /// Parses `ADDRESS/PREFIX`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPAddress(String(parts[0])), (1...3).contains(parts[1].count),
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(parts[1]), (0...a.bitWidth).contains(p) else { return nil }
        self.init(address: a, prefix: p)
    }

    /// The address family.
    public var family: IPAddress.Family { address.family }
    /// The subnet: the address with the host bits cleared, same prefix.
    public var subnet: IPNetwork { IPNetwork(address: address.masked(prefix: prefix), prefix: prefix) }

    /// Whether `other` lies in this subnet.
    public func contains(_ other: IPAddress) -> Bool { address.contains(other, prefix: prefix) }

    public var description: String { "\(address)/\(prefix)" }

    public static func < (a: IPNetwork, b: IPNetwork) -> Bool { (a.address, a.prefix) < (b.address, b.prefix) }
}
