import Synchronization
import TapestryModel

/// The 32-bit key by which the frame pipeline, the MAC table and the transmit slots name a tunnel
/// remote (VTEP). An IPv4 remote is its own address (host order), exactly as before IPv6
/// underlays existed, so the IPv4 path does no lookup. An IPv6 remote is interned once, when a
/// configuration or a tunnel socket first names it, and gets a key in `0.0.0.0/8` — a range
/// that is never a unicast remote (RFC 1122 "this network"). Key 0 means "no remote"
/// (every remote of the port). The table only grows; it holds the IPv6 remotes ever configured
/// or accepted, which is bounded by the configuration (unknown senders are never interned).
public enum TunnelRemoteKey {
    /// No remote: a frame that did not come from a tunnel, or a tunnel output to every remote.
    public static let none: UInt32 = 0
    /// The key of an IPv6 sender no port names: no binding accepts it.
    public static let unknownIPv6: UInt32 = 0x00FF_FFFF
    /// The largest number of distinct IPv6 remotes one process can name.
    public static let ipv6Capacity = 0x00FF_FFFE

    private struct Table {
        var keys: [IPv6Bits: UInt32] = [:]
        var addresses: [IPv6Bits] = []
    }
    /// The two 64-bit halves of an IPv6 address (host order).
    private struct IPv6Bits: Hashable { var high: UInt64; var low: UInt64 }
    private static let table = Mutex(Table())

    /// The key of `address`: an IPv4 address itself; an IPv6 address interned (nil only when the
    /// table is full, which takes 16 million distinct IPv6 remotes).
    public static func key(for address: IPAddress) -> UInt32? {
        if address.family == .ipv4 { return address.ipv4Value }
        let bits = IPv6Bits(high: address.high, low: address.low)
        return table.withLock { t -> UInt32? in
            if let k = t.keys[bits] { return k }
            guard t.addresses.count < ipv6Capacity else { return nil }
            t.addresses.append(bits)
            let k = UInt32(t.addresses.count)
            t.keys[bits] = k
            return k
        }
    }

    /// The key of an IPv6 sender seen on a tunnel socket, without interning it: `unknownIPv6`
    /// when no configuration named it (then no port accepts its frames).
    public static func existingKey(ipv6High high: UInt64, low: UInt64) -> UInt32 {
        table.withLock { $0.keys[IPv6Bits(high: high, low: low)] } ?? unknownIPv6
    }

    /// Whether `key` names an IPv6 remote (or the unknown IPv6 sender).
    @inline(__always)
    public static func isIPv6(_ key: UInt32) -> Bool { key != 0 && key >> 24 == 0 }

    /// The address a key stands for; nil for `none`, the unknown IPv6 sender, or a key never handed out.
    public static func address(of key: UInt32) -> IPAddress? {
        if key == none || key == unknownIPv6 { return nil }
        if !isIPv6(key) { return IPAddress(ipv4: key) }
        return table.withLock { t -> IPAddress? in
            let i = Int(key) - 1
            guard i < t.addresses.count else { return nil }
            return IPAddress(ipv6High: t.addresses[i].high, low: t.addresses[i].low)
        }
    }
}
