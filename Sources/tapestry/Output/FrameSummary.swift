/// One line per captured frame, in the spirit of `tcpdump -e -n`: MACs, VLAN tags, the ethertype,
/// and for ARP, IPv4 and IPv6 the addresses, ports and ICMP types. Pure: bytes in, text out.
enum FrameSummary {
    static func describe(_ f: [UInt8]) -> String {
        guard f.count >= 14 else { return "runt frame, length \(f.count)" }
        var s = "\(mac(f, 6)) > \(mac(f, 0))"
        var offset = 12
        var type = u16(f, 12)
        while type == 0x8100 || type == 0x88A8, f.count >= offset + 6 {
            let tci = u16(f, offset + 2)
            s += ", \(type == 0x88A8 ? "802.1ad" : "vlan") \(tci & 0x0FFF)" + (tci >> 13 != 0 ? " p \(tci >> 13)" : "")
            offset += 4
            type = u16(f, offset)
        }
        offset += 2
        s += ", " + etherTypeName(type)
        let payload = Array(f[min(offset, f.count)...])
        switch type {
        case 0x0806: s += ", " + arp(payload)
        case 0x0800: s += ", " + ipv4(payload)
        case 0x86DD: s += ", " + ipv6(payload)
        default: break
        }
        return s + ", length \(f.count)"
    }

    static func etherTypeName(_ type: UInt16) -> String {
        let digits = String(type, radix: 16)
        let hex = "0x" + String(repeating: "0", count: 4 - digits.count) + digits
        switch type {
        case 0x0800: return "IPv4 (\(hex))"
        case 0x0806: return "ARP (\(hex))"
        case 0x86DD: return "IPv6 (\(hex))"
        case 0x8100: return "802.1Q (\(hex))"
        case 0x88CC: return "LLDP (\(hex))"
        default: return type < 0x0600 ? "802.3 length \(type)" : "ethertype \(hex)"
        }
    }

    static func arp(_ p: [UInt8]) -> String {
        guard p.count >= 28, u16(p, 0) == 1, u16(p, 2) == 0x0800 else { return "ARP (not Ethernet/IPv4)" }
        switch u16(p, 6) {
        case 1: return "Request who-has \(ipv4Address(p, 24)) tell \(ipv4Address(p, 14))"
        case 2: return "Reply \(ipv4Address(p, 14)) is-at \(mac(p, 8))"
        default: return "ARP op \(u16(p, 6))"
        }
    }

    static func ipv4(_ p: [UInt8]) -> String {
        guard p.count >= 20, p[0] >> 4 == 4 else { return "truncated IPv4" }
        let headerLength = Int(p[0] & 0x0F) * 4
        let src = ipv4Address(p, 12), dst = ipv4Address(p, 16)
        let fragmentOffset = u16(p, 6) & 0x1FFF
        let l4 = fragmentOffset == 0 && p.count >= headerLength ? Array(p[headerLength...]) : []
        return transport(protocol: p[9], src: src, dst: dst, l4, icmpVersion: 4)
    }

    static func ipv6(_ p: [UInt8]) -> String {
        guard p.count >= 40, p[0] >> 4 == 6 else { return "truncated IPv6" }
        return transport(protocol: p[6], src: ipv6Address(p, 8), dst: ipv6Address(p, 24), Array(p[40...]), icmpVersion: 6)
    }

    private static func transport(protocol proto: UInt8, src: String, dst: String, _ l4: [UInt8], icmpVersion: Int) -> String {
        switch proto {
        case 6 where l4.count >= 4: return "\(src).\(u16(l4, 0)) > \(dst).\(u16(l4, 2)): TCP"
        case 17 where l4.count >= 4: return "\(src).\(u16(l4, 0)) > \(dst).\(u16(l4, 2)): UDP"
        case 1 where l4.count >= 1: return "\(src) > \(dst): ICMP \(icmp4Name(l4[0]))"
        case 58 where l4.count >= 1: return "\(src) > \(dst): ICMP6 \(icmp6Name(l4[0]))"
        default: return "\(src) > \(dst): protocol \(proto)"
        }
    }

    static func icmp4Name(_ type: UInt8) -> String {
        switch type {
        case 0: "echo reply"
        case 3: "unreachable"
        case 8: "echo request"
        case 11: "time exceeded"
        default: "type \(type)"
        }
    }

    static func icmp6Name(_ type: UInt8) -> String {
        switch type {
        case 1: "unreachable"
        case 128: "echo request"
        case 129: "echo reply"
        case 133: "router solicitation"
        case 134: "router advertisement"
        case 135: "neighbor solicitation"
        case 136: "neighbor advertisement"
        default: "type \(type)"
        }
    }

    static func mac(_ b: [UInt8], _ at: Int) -> String {
        (0..<6).map { hex2(b[at + $0]) }.joined(separator: ":")
    }

    static func ipv4Address(_ b: [UInt8], _ at: Int) -> String {
        (0..<4).map { String(b[at + $0]) }.joined(separator: ".")
    }

    /// RFC 5952 text: lower-case hex, leading zeros dropped, the longest run of two or more zero groups as `::`.
    static func ipv6Address(_ b: [UInt8], _ at: Int) -> String {
        let groups = (0..<8).map { u16(b, at + 2 * $0) }
        var bestStart = -1, bestLength = 1, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else { i += 1 }
        }
        let text = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return text.joined(separator: ":") }
        return text[..<bestStart].joined(separator: ":") + "::" + text[(bestStart + bestLength)...].joined(separator: ":")
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }

    private static func hex2(_ v: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4)], digits[Int(v & 0x0F)]])
    }
}
