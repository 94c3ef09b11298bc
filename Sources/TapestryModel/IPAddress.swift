/// An IPv4 or IPv6 address held as a 128-bit value (networks, routes, DHCP, DNS), parsed from and formatted to the
/// text forms libvirt accepts and writes (dotted quad; RFC 5952 IPv6 as `inet_ntop` prints it).
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address family.
    public enum Family: String, Sendable, Hashable {
        case ipv4
        case ipv6
    }

    /// The family of this address.
    public let family: Family
    /// High 64 bits (IPv6 only; zero for IPv4).
    public let high: UInt64
    /// Low 64 bits (for IPv4 the address sits in the low 32 bits).
    public let low: UInt64

    /// The width of the address in bits (32 or 128).
    public var bitWidth: Int { family == .ipv4 ? 32 : 128 }

    /// Creates an IPv4 address from its 32-bit value.
    public init(ipv4 value: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(value)
    }

    /// Creates an IPv6 address from its two 64-bit halves.
    public init(ipv6High: UInt64, low: UInt64) {
        family = .ipv6
        high = ipv6High
        self.low = low
    }

    /// Parses `text` as an IPv4 dotted quad or an IPv6 address; nil when it is neither.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseIPv6(text) else { return nil }
            self.init(ipv6High: h, low: l)
        } else {
            guard let v = IPAddress.parseIPv4(text) else { return nil }
            self.init(ipv4: v)
        }
    }

    /// The 32-bit value of an IPv4 address.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// The same IPv4 address in this wider type.
    public init(_ v4: IPv4Address) { self.init(ipv4: v4.value) }

    /// The address as an `IPv4Address`, nil for IPv6.
    public var ipv4: IPv4Address? { family == .ipv4 ? IPv4Address(value: ipv4Value) : nil }

    public var description: String {
        switch family {
        case .ipv4: return IPAddress.formatIPv4(ipv4Value)
        case .ipv6: return IPAddress.formatIPv6(high: high, low: low)
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .ipv4 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// This address with all bits past `prefix` cleared (the network address).
    public func masked(prefix: Int) -> IPAddress {
        let (mh, ml) = IPAddress.maskBits(prefix: prefix, family: family)
        if family == .ipv4 { return IPAddress(ipv4: UInt32(truncatingIfNeeded: low & ml)) }
        return IPAddress(ipv6High: high & mh, low: low & ml)
    }

    /// Whether `other` lies in the network `self/prefix`.
    public func contains(_ other: IPAddress, prefix: Int) -> Bool {
        family == other.family && masked(prefix: prefix) == other.masked(prefix: prefix)
    }

    /// The netmask for `prefix` bits of this family (IPv4 dotted quad form).
    public static func netmask(prefix: Int, family: Family) -> IPAddress {
        let (mh, ml) = maskBits(prefix: prefix, family: family)
        if family == .ipv4 { return IPAddress(ipv4: UInt32(truncatingIfNeeded: ml)) }
        return IPAddress(ipv6High: mh, low: ml)
    }

    /// The prefix length of a contiguous netmask, or nil when the mask has holes.
    public var netmaskPrefix: Int? {
        for p in 0...bitWidth where IPAddress.netmask(prefix: p, family: family) == self {
            return p
        }
        return nil
    }

    /// The number of addresses from `start` to `end` inclusive (saturating), nil if the order is reversed.
    public static func rangeSize(from start: IPAddress, to end: IPAddress) -> UInt64? {
        guard start.family == end.family, start <= end else { return nil }
        if start.high != end.high { return UInt64.max }
        let diff = end.low - start.low
        return diff == UInt64.max ? UInt64.max : diff + 1
    }

    static func maskBits(prefix: Int, family: Family) -> (UInt64, UInt64) {
        if family == .ipv4 {
            let p = max(0, min(32, prefix))
            let m: UInt64 = p == 0 ? 0 : (UInt64(0xFFFF_FFFF) << UInt64(32 - p)) & 0xFFFF_FFFF
            return (0, m)
        }
        let p = max(0, min(128, prefix))
        let hi: UInt64 = p >= 64 ? UInt64.max : (p == 0 ? 0 : UInt64.max << UInt64(64 - p))
        let lo: UInt64 = p <= 64 ? 0 : (p == 128 ? UInt64.max : UInt64.max << UInt64(128 - p))
        return (hi, lo)
    }

    static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseIPv6(_ text: String) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        var tail = text
        var embedded: UInt32?
        // An embedded IPv4 tail such as ::ffff:1.2.3.4
        if let lastColon = tail.lastIndex(of: ":"), tail[tail.index(after: lastColon)...].contains(".") {
            guard let v4 = parseIPv4(String(tail[tail.index(after: lastColon)...])) else { return nil }
            embedded = v4
            tail = String(tail[...lastColon])
            if tail.hasSuffix("::") { } else { tail.removeLast() }
        }
        let halves = IPAddress.splitAtDoubleColon(tail)
        guard halves.count <= 2 else { return nil }
        func groupsOf(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        let needed = embedded == nil ? 8 : 6
        guard let head = groupsOf(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let rest = groupsOf(halves[1]), head.count + rest.count < needed else { return nil }
            groups = head + Array(repeating: 0, count: needed - head.count - rest.count) + rest
        } else {
            guard head.count == needed else { return nil }
            groups = head
        }
        if let v4 = embedded {
            groups.append(UInt16(v4 >> 16))
            groups.append(UInt16(v4 & 0xFFFF))
        }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        return (h, l)
    }

    /// `text` split at each `::` (Foundation-free `components(separatedBy: "::")`).
    static func splitAtDoubleColon(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for c in text {
            if c == ":" && previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(c)
            previousColon = c == ":"
        }
        parts.append(current)
        return parts
    }

    static func formatIPv4(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    static func formatIPv6(high: UInt64, low: UInt64) -> String {
        var words: [UInt16] = []
        for i in stride(from: 48, through: 0, by: -16) { words.append(UInt16((high >> UInt64(i)) & 0xFFFF)) }
        for i in stride(from: 48, through: 0, by: -16) { words.append(UInt16((low >> UInt64(i)) & 0xFFFF)) }
        // Longest run of zero words (length >= 2), first one on ties, as inet_ntop does.
        var bestStart = -1, bestLen = 0, curStart = -1, curLen = 0
        for (i, w) in words.enumerated() {
            if w == 0 {
                if curStart < 0 { curStart = i; curLen = 1 } else { curLen += 1 }
                if curLen > bestLen { bestStart = curStart; bestLen = curLen }
            } else {
                curStart = -1; curLen = 0
            }
        }
        if bestLen < 2 { bestStart = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLen
                continue
            }
            if i == 6 && bestStart == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF)) {
                if !out.hasSuffix(":") { out += ":" }
                out += formatIPv4(UInt32(words[6]) << 16 | UInt32(words[7]))
                break
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(words[i], radix: 16)
            i += 1
        }
        return out
    }
}
