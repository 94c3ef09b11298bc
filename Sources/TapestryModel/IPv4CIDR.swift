/// An IPv4 address with a prefix length, `10.0.0.1/24`: an interface address and the subnet it is in.
public struct IPv4CIDR: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var prefix: Int

    public init(address: IPv4Address, prefix: Int) { self.address = address; self.prefix = prefix }

    /// Parses `A.B.C.D/N` (N in 0...32); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4Address(String(parts[0])), (1...2).contains(parts[1].count),
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(parts[1]), (0...32).contains(p) else { return nil }
        address = a; prefix = p
    }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - UInt32(prefix)) }
    /// The subnet's first address.
    public var network: IPv4Address { IPv4Address(value: address.value & mask) }
    public var broadcast: IPv4Address { IPv4Address(value: address.value | ~mask) }

    /// Whether `other` lies in this subnet.
    public func contains(_ other: IPv4Address) -> Bool { other.value & mask == address.value & mask }

    /// Whether the two subnets share any address.
    public func overlaps(_ other: IPv4CIDR) -> Bool {
        let p = min(prefix, other.prefix)
        let m: UInt32 = p == 0 ? 0 : UInt32.max << (32 - UInt32(p))
        return address.value & m == other.address.value & m
    }

    /// Usable as a host's address: not the subnet's network or broadcast address (for prefixes up to /30).
    public var isHostAddress: Bool {
        if prefix >= 31 { return true }
        return address != network && address != broadcast
    }

    public var description: String { "\(address)/\(prefix)" }

    /// The same address and prefix in the family-neutral type.
    public var ipNetwork: IPNetwork { IPNetwork(address: IPAddress(address), prefix: prefix) }
}
