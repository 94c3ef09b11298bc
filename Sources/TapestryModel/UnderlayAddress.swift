/// A host's `underlay:` in a topology file: an IPv4 or IPv6 address with or without a prefix
/// length (`10.0.0.1/24`, `fd00:77::1/64`, `10.0.0.1`; without one, a host route).
public enum UnderlayAddress {
    /// The address and prefix, and whether a prefix was given; nil for anything else.
    public static func parse(_ text: String) -> (network: IPNetwork, hasPrefix: Bool)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let a = IPAddress(strict: String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (IPNetwork(address: a, prefix: a.bitWidth), false) }
        guard let n = IPNetwork(text), n.address == a else { return nil }
        return (n, true)
    }

    /// Why `u` cannot be a VTEP's address, or nil when it can.
    public static func problem(_ u: IPNetwork) -> String? {
        let a = u.address
        if a.isUnspecified { return "unspecified" }
        if a.isMulticast { return "multicast" }
        if a.family == .ipv4 {
            if a.isThisNetwork { return "in 0.0.0.0/8" }
            guard let v4 = a.ipv4 else { return nil }
            return IPv4CIDR(address: v4, prefix: u.prefix).isHostAddress ? nil : "the subnet's network or broadcast address"
        }
        // fe80::/10 needs a scope (an interface) that a topology file cannot give.
        if a.high >> 54 == 0x3FA { return "link-local" }
        if a.high == 0 && a.low == 1 { return "loopback" }
        if u.prefix < 127 && a == a.masked(prefix: u.prefix) { return "the subnet's anycast address" }
        return nil
    }
}
