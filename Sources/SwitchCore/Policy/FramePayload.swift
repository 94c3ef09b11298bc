/// What the port policy needs to know about a frame above Ethernet: ARP sender, IP source,
/// UDP ports, ICMPv6 type and neighbour-discovery target. Read from borrowed bytes, no copy.
///
/// One outer 802.1Q tag is skipped; frames with more tags, truncated headers or other
/// ethertypes are `.other` (the policy then checks only the source MAC).
public struct FramePayload: Sendable, Equatable {
    /// The network protocol of the frame.
    public enum Kind: Sendable, Equatable { case arp, ipv4, ipv6, other }

    public var kind: Kind = .other
    /// ARP: sender hardware and protocol address.
    public var arpSenderMAC: UInt64 = 0
    public var arpSenderIP: UInt32 = 0
    /// IPv4 source (host order).
    public var ipv4Source: UInt32 = 0
    /// IPv6 source, high and low 64 bits.
    public var ipv6Source: IPv6Bits = .zero
    /// IP protocol / IPv6 next header after at most one hop-by-hop header (0xFF: unknown).
    public var ipProtocol: UInt8 = 0xFF
    /// UDP ports (0 when not UDP or truncated).
    public var udpSource: UInt16 = 0
    public var udpDestination: UInt16 = 0
    /// ICMPv6 type (0 when not ICMPv6).
    public var icmp6Type: UInt8 = 0
    /// Neighbour advertisement target (ICMPv6 type 136).
    public var ndTarget: IPv6Bits = .zero

    public init() {}

    /// Reads the payload facts of `frame` (starting at the Ethernet header).
    public static func read(_ frame: UnsafeRawBufferPointer) -> FramePayload {
        var f = FramePayload()
        guard frame.count >= 14 else { return f }
        var off = 12
        var ethertype = frame.be16(off)
        if ethertype == 0x8100 || ethertype == 0x88A8 {
            guard frame.count >= 18 else { return f }
            off = 16
            ethertype = frame.be16(off)
        }
        let l3 = off + 2
        switch ethertype {
        case 0x0806:
            // htype(2) ptype(2) hlen(1) plen(1) oper(2) sha(6) spa(4) tha(6) tpa(4)
            guard frame.count >= l3 + 28, frame.be16(l3 + 2) == 0x0800, frame[l3 + 4] == 6, frame[l3 + 5] == 4 else { return f }
            f.kind = .arp
            f.arpSenderMAC = UInt64(frame.be32(l3 + 8)) << 16 | UInt64(frame.be16(l3 + 12))
            f.arpSenderIP = frame.be32(l3 + 14)
        case 0x0800:
            guard frame.count >= l3 + 20, frame[l3] >> 4 == 4 else { return f }
            f.kind = .ipv4
            f.ipv4Source = frame.be32(l3 + 12)
            f.ipProtocol = frame[l3 + 9]
            let ihl = Int(frame[l3] & 0x0F) * 4
            let fragmentOffset = frame.be16(l3 + 6) & 0x1FFF
            if f.ipProtocol == 17, fragmentOffset == 0, ihl >= 20, frame.count >= l3 + ihl + 4 {
                f.udpSource = frame.be16(l3 + ihl)
                f.udpDestination = frame.be16(l3 + ihl + 2)
            }
        case 0x86DD:
            guard frame.count >= l3 + 40, frame[l3] >> 4 == 6 else { return f }
            f.kind = .ipv6
            f.ipv6Source = IPv6Bits(frame, at: l3 + 8)
            var next = frame[l3 + 6]
            var l4 = l3 + 40
            if next == 0 {  // hop-by-hop options (MLD reports carry one)
                guard frame.count >= l4 + 8 else { f.ipProtocol = 0xFF; return f }
                next = frame[l4]
                l4 += (Int(frame[l4 + 1]) + 1) * 8
            }
            f.ipProtocol = next
            if next == 58, frame.count >= l4 + 4 {
                f.icmp6Type = frame[l4]
                if f.icmp6Type == 136, frame.count >= l4 + 24 { f.ndTarget = IPv6Bits(frame, at: l4 + 8) }
            } else if next == 17, frame.count >= l4 + 4 {
                f.udpSource = frame.be16(l4)
                f.udpDestination = frame.be16(l4 + 2)
            }
        default:
            break
        }
        return f
    }

    /// Whether the frame could be a DHCP server message or a router advertisement at all: only
    /// its ethertype and IP protocol are read (UDP, ICMPv6 or a hop-by-hop header), so that a
    /// port with the DHCP/RA guard alone pays two loads for most frames.
    @inline(__always)
    public static func mayBeServerMessage(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count >= 34 else { return false }
        var l3 = 14
        var ethertype = frame.be16(12)
        if ethertype == 0x8100 || ethertype == 0x88A8 {
            guard frame.count >= 38 else { return false }
            l3 = 18
            ethertype = frame.be16(16)
        }
        switch ethertype {
        case 0x0800: return frame[l3 + 9] == 17
        case 0x86DD:
            guard frame.count >= l3 + 40 else { return false }
            let next = frame[l3 + 6]
            return next == 17 || next == 58 || next == 0
        default: return false
        }
    }

    /// A DHCPv4 or DHCPv6 server message (UDP 67→68 or 547→546).
    public var isDHCPServerMessage: Bool {
        (kind == .ipv4 && ipProtocol == 17 && udpSource == 67 && udpDestination == 68)
            || (kind == .ipv6 && ipProtocol == 17 && udpSource == 547 && udpDestination == 546)
    }

    /// An IPv6 router advertisement (ICMPv6 type 134) or redirect (137).
    public var isRouterAdvertisement: Bool { kind == .ipv6 && ipProtocol == 58 && (icmp6Type == 134 || icmp6Type == 137) }
}

/// An IPv6 address as two big-endian halves, for fast comparison in the fast path.
public struct IPv6Bits: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64
    public static let zero = IPv6Bits(high: 0, low: 0)

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    init(_ frame: UnsafeRawBufferPointer, at offset: Int) {
        high = UInt64(frame.be32(offset)) << 32 | UInt64(frame.be32(offset + 4))
        low = UInt64(frame.be32(offset + 8)) << 32 | UInt64(frame.be32(offset + 12))
    }

    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }

    /// The EUI-64 link-local address SLAAC derives from `mac` (fe80::xxxx:xxff:fexx:xxxx).
    public static func linkLocal(for mac: UInt64) -> IPv6Bits {
        let b = (0..<6).map { UInt64((mac >> (40 - 8 * UInt64($0))) & 0xFF) }
        let iid = (b[0] ^ 0x02) << 56 | b[1] << 48 | b[2] << 40 | 0xFF << 32 | 0xFE << 24 | b[3] << 16 | b[4] << 8 | b[5]
        return IPv6Bits(high: 0xFE80_0000_0000_0000, low: iid)
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 { UInt32(be16(offset)) << 16 | UInt32(be16(offset + 2)) }
}
