import TapestryModel

/// ARP suppression's pure parts: reading an Ethernet/IPv4 ARP packet from borrowed bytes, the
/// key of a binding, and writing the reply the bridge sends for a bound IP. The step of the
/// pipeline that uses them is `BridgeEngine.suppressARP` (BridgeEngine+ARPSuppression.swift).
public enum ARPSuppression {
    /// An ARP reply as the bridge writes it: untagged Ethernet (14) + ARP (28), no padding.
    public static let replyLength = 42

    /// The body of an Ethernet/IPv4 ARP packet (htype 1, ptype 0x0800, hlen 6, plen 4, op 1 or 2).
    public struct Packet: Sendable, Equatable {
        public var operation: UInt16
        public var senderMAC: UInt64
        public var senderIP: UInt32
        public var targetMAC: UInt64
        public var targetIP: UInt32

        /// Reads the ARP packet at `offset` of `frame`; nil when it is truncated or not Ethernet/IPv4
        /// ARP with opcode 1 or 2.
        @inline(__always)
        public init?(_ frame: UnsafeRawBufferPointer, at offset: Int) {
            guard offset >= 0, frame.count >= offset + 28, frame.be16(offset) == 1, frame.be16(offset + 2) == 0x0800,
                  frame[offset + 4] == 6, frame[offset + 5] == 4 else { return nil }
            operation = frame.be16(offset + 6)
            guard operation == 1 || operation == 2 else { return nil }
            senderMAC = UInt64(frame.be32(offset + 8)) << 16 | UInt64(frame.be16(offset + 12))
            senderIP = frame.be32(offset + 14)
            targetMAC = UInt64(frame.be32(offset + 18)) << 16 | UInt64(frame.be16(offset + 22))
            targetIP = frame.be32(offset + 24)
        }
    }

    /// A neighbour advertisement as the bridge writes it: Ethernet (14) + IPv6 (40) + ICMPv6 NA
    /// with a target link-layer address option (32).
    public static let advertisementLength = 86

    /// The key of an IPv6 binding in `ForwardingSnapshot.ndBindings`.
    public struct NeighborKey: Hashable, Sendable {
        public var vlan: UInt16
        public var high: UInt64
        public var low: UInt64
        @inline(__always)
        public init(vlan: UInt16, high: UInt64, low: UInt64) { self.vlan = vlan; self.high = high; self.low = low }
    }

    /// The snapshot's table of a bridge's configured IPv6 bindings.
    public static func neighbors(_ config: ARPSuppressionConfig?) -> [NeighborKey: UInt64] {
        var out: [NeighborKey: UInt64] = [:]
        for b in config?.neighbors ?? [] where b.ip.family == .ipv6 {
            out[NeighborKey(vlan: b.vlan.value, high: b.ip.high, low: b.ip.low)] = b.mac.rawValue
        }
        return out
    }

    /// Writes the solicited neighbour advertisement "`target` is at `mac`" (router no, solicited,
    /// override; with a target link-layer address option) to the soliciting node at `p`
    /// (`advertisementLength` bytes), its ICMPv6 checksum over the IPv6 pseudo-header.
    public static func writeAdvertisement(_ p: UnsafeMutableRawPointer, mac: UInt64, target: IPv6Bits,
                                          requesterMAC: UInt64, requesterIP: IPv6Bits) {
        putMAC(p, requesterMAC)
        putMAC(p + 6, mac)
        putBE16(p + 12, 0x86DD)
        putBE32(p + 14, 0x6000_0000)
        putBE16(p + 18, 32)
        p.storeBytes(of: 58, toByteOffset: 20, as: UInt8.self)
        p.storeBytes(of: 255, toByteOffset: 21, as: UInt8.self)
        putIPv6(p + 22, target)
        putIPv6(p + 38, requesterIP)
        p.storeBytes(of: 136, toByteOffset: 54, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 55, as: UInt8.self)
        putBE16(p + 56, 0)
        putBE32(p + 58, 0x6000_0000)
        putIPv6(p + 62, target)
        p.storeBytes(of: 2, toByteOffset: 78, as: UInt8.self)
        p.storeBytes(of: 1, toByteOffset: 79, as: UInt8.self)
        putMAC(p + 80, mac)
        // The IPv6 pseudo-header (source, destination, upper-layer length 32, next header 58) + the message.
        let pseudo = Checksum.pseudoHeaderIPv6(p + 14, nextHeader: 58, length: 32)
        Checksum.store(Checksum.add(p + 54, 32, to: pseudo), at: p + 56)
    }

    @inline(__always) static func putIPv6(_ p: UnsafeMutableRawPointer, _ v: IPv6Bits) {
        putBE32(p, UInt32(truncatingIfNeeded: v.high >> 32))
        putBE32(p + 4, UInt32(truncatingIfNeeded: v.high))
        putBE32(p + 8, UInt32(truncatingIfNeeded: v.low >> 32))
        putBE32(p + 12, UInt32(truncatingIfNeeded: v.low))
    }

    /// The key of a binding in `ForwardingSnapshot.arpBindings`.
    @inline(__always)
    public static func key(vlan: UInt16, ip: UInt32) -> UInt64 { UInt64(vlan) << 32 | UInt64(ip) }

    /// The snapshot's table of a bridge's configured bindings.
    public static func bindings(_ config: ARPSuppressionConfig?) -> [UInt64: UInt64] {
        var out: [UInt64: UInt64] = [:]
        for b in config?.bindings ?? [] { out[key(vlan: b.vlan.value, ip: b.ip.value)] = b.mac.rawValue }
        return out
    }

    /// Writes the reply "`ip` is at `mac`" to the requester (`requesterMAC`, `requesterIP`) at `p`
    /// (`replyLength` bytes): Ethernet dst = requester, src = `mac`, type ARP; op 2, sender =
    /// (`mac`, `ip`), target = the requester.
    @inline(__always)
    public static func writeReply(_ p: UnsafeMutableRawPointer, mac: UInt64, ip: UInt32, requesterMAC: UInt64, requesterIP: UInt32) {
        putMAC(p, requesterMAC)
        putMAC(p + 6, mac)
        putBE16(p + 12, 0x0806)
        putBE16(p + 14, 1)
        putBE16(p + 16, 0x0800)
        p.storeBytes(of: 6, toByteOffset: 18, as: UInt8.self)
        p.storeBytes(of: 4, toByteOffset: 19, as: UInt8.self)
        putBE16(p + 20, 2)
        putMAC(p + 22, mac)
        putBE32(p + 28, ip)
        putMAC(p + 32, requesterMAC)
        putBE32(p + 38, requesterIP)
    }

    @inline(__always) static func putBE16(_ p: UnsafeMutableRawPointer, _ v: UInt16) {
        p.storeBytes(of: v.bigEndian, as: UInt16.self)
    }

    @inline(__always) static func putBE32(_ p: UnsafeMutableRawPointer, _ v: UInt32) {
        putBE16(p, UInt16(truncatingIfNeeded: v >> 16))
        putBE16(p + 2, UInt16(truncatingIfNeeded: v))
    }

    @inline(__always) static func putMAC(_ p: UnsafeMutableRawPointer, _ v: UInt64) {
        putBE16(p, UInt16(truncatingIfNeeded: v >> 32))
        putBE32(p + 2, UInt32(truncatingIfNeeded: v))
    }
}
