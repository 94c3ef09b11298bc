/// Byte-level builders for the port-policy tests: ARP, IPv4/UDP, IPv6/ICMPv6/UDP frames.
enum PF {
    static let vmMAC: UInt64 = 0x5254_0000_0001
    static let otherMAC: UInt64 = 0x5254_0000_0002

    static func mac(_ m: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: m >> (40 - 8 * UInt64($0))) } }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func ip4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt32 {
        UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    static func ip4Bytes(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    static func ip6Bytes(_ v: IPv6BitsLike) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: v.high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: v.low >> (56 - 8 * UInt64($0))) }
    }
    typealias IPv6BitsLike = (high: UInt64, low: UInt64)

    static func ethernet(src: UInt64, dst: UInt64 = 0xFFFF_FFFF_FFFF, type: Int, vlan: Int? = nil) -> [UInt8] {
        var f = mac(dst) + mac(src)
        if let vlan { f += be16(0x8100) + be16(vlan) }
        return f + be16(type)
    }

    static func arp(src: UInt64, senderMAC: UInt64? = nil, senderIP: UInt32, targetIP: UInt32) -> [UInt8] {
        ethernet(src: src, type: 0x0806) + be16(1) + be16(0x0800) + [6, 4] + be16(1)
            + mac(senderMAC ?? src) + ip4Bytes(senderIP) + mac(0) + ip4Bytes(targetIP)
    }

    static func udp4(src: UInt64, from: UInt32, to: UInt32 = 0xFFFF_FFFF, sport: Int, dport: Int, vlan: Int? = nil) -> [UInt8] {
        let udp = be16(sport) + be16(dport) + be16(8 + 4) + be16(0) + [1, 2, 3, 4]
        let ip: [UInt8] = [0x45, 0] + be16(20 + udp.count) + be16(0) + be16(0) + [64, 17] + be16(0)
            + ip4Bytes(from) + ip4Bytes(to)
        return ethernet(src: src, type: 0x0800, vlan: vlan) + ip + udp
    }

    static func ip6(src: UInt64, from: IPv6BitsLike, next: UInt8, payload: [UInt8]) -> [UInt8] {
        let hdr: [UInt8] = [0x60, 0, 0, 0] + be16(payload.count) + [next, 255]
            + ip6Bytes(from) + ip6Bytes((0xFF02_0000_0000_0000, 1))
        return ethernet(src: src, type: 0x86DD) + hdr + payload
    }

    static func routerAdvertisement(src: UInt64, from: IPv6BitsLike) -> [UInt8] {
        ip6(src: src, from: from, next: 58, payload: [134, 0, 0, 0] + [UInt8](repeating: 0, count: 12))
    }

    static func neighbourAdvertisement(src: UInt64, from: IPv6BitsLike, target: IPv6BitsLike) -> [UInt8] {
        ip6(src: src, from: from, next: 58, payload: [136, 0, 0, 0, 0x20, 0, 0, 0] + ip6Bytes(target))
    }

    static func dhcp6Reply(src: UInt64, from: IPv6BitsLike) -> [UInt8] {
        ip6(src: src, from: from, next: 17, payload: be16(547) + be16(546) + be16(12) + be16(0) + [7, 0, 0, 0])
    }
}
