import SwitchCore

/// Receive offload for tunnels: the datagrams the kernel hands over in one UDP_GRO read are, for a
/// bulk TCP flow, consecutive MSS-sized segments of one flow. They are merged back into one TCP
/// super-frame in place (headers of the first segment, the payloads moved together), described by a
/// virtio-net header (GSO TCPv4/TCPv6, NEEDS_CSUM), so that one write carries what would have been
/// dozens. Merging happens only when it is exactly right: same VNI, same Ethernet/IP/TCP headers
/// (options included), contiguous sequence numbers, ACK (and PSH on the last) as the only flags,
/// full-sized segments but the last, and every segment's TCP checksum verified.
enum TCPCoalescer {
    /// Merges the `count` datagrams at `base` (`stride` bytes apart, the last `lastLength` long), each
    /// a VXLAN header of `h` bytes and an inner frame. On success the frame starts at `base + h`, its
    /// virtio-net header is written at `base + h - 10`, and the frame length and VNI are returned.
    static func merge(_ base: UnsafeMutableRawPointer, count: Int, stride: Int, lastLength: Int, h: Int) -> (length: Int, vni: UInt32)? {
        guard count > 1, stride > h + 54 else { return nil }
        let first = base + h
        let firstLength = stride - h
        guard let lay = TCPSegmenter.l4Layout(first, firstLength), lay.proto == 6 else { return nil }
        let doff = Int(first.load(fromByteOffset: lay.l4 + 12, as: UInt8.self) >> 4) * 4
        let hdr = lay.l4 + doff
        let mss = firstLength - hdr
        guard doff >= 20, mss > 0 else { return nil }
        let vni = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8
        let seq0 = UInt32(bigEndian: first.loadUnaligned(fromByteOffset: lay.l4 + 4, as: UInt32.self))
        var total = mss
        for j in 0..<count {
            let d = base + j * stride
            let len = (j == count - 1 ? lastLength : stride) - h
            let f = d + h
            guard d.load(as: UInt8.self) & 0x08 != 0,
                  UInt32(bigEndian: d.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8 == vni,
                  len > hdr, j == count - 1 || len == firstLength else { return nil }
            // Same headers: Ethernet, IP addresses and protocol, TCP ports, ack, window and options.
            if j > 0 {
                guard memEqual(f, first, lay.l3),
                      (lay.isIPv4 ? memEqual(f + lay.l3 + 12, first + lay.l3 + 12, 8) && f.load(fromByteOffset: lay.l3, as: UInt8.self) == first.load(fromByteOffset: lay.l3, as: UInt8.self)
                                  : memEqual(f + lay.l3 + 8, first + lay.l3 + 8, 32)),
                      memEqual(f + lay.l4, first + lay.l4, 4), memEqual(f + lay.l4 + 8, first + lay.l4 + 8, 4),
                      f.load(fromByteOffset: lay.l4 + 12, as: UInt8.self) == first.load(fromByteOffset: lay.l4 + 12, as: UInt8.self),
                      memEqual(f + lay.l4 + 14, first + lay.l4 + 14, 2),
                      memEqual(f + lay.l4 + 20, first + lay.l4 + 20, doff - 20) else { return nil }
                let seq = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: lay.l4 + 4, as: UInt32.self))
                guard seq == seq0 &+ UInt32(j * mss) else { return nil }
            }
            let flags = f.load(fromByteOffset: lay.l4 + 13, as: UInt8.self)
            guard flags & ~0x18 == 0, flags & 0x10 != 0, j == count - 1 || flags & 0x08 == 0 else { return nil }
            if lay.isIPv4 {
                let frag = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: lay.l3 + 6, as: UInt16.self)) & 0x3FFF
                let ipLen = Int(UInt16(bigEndian: f.loadUnaligned(fromByteOffset: lay.l3 + 2, as: UInt16.self)))
                guard frag == 0, ipLen == len - lay.l3 else { return nil }
            } else {
                let plen = Int(UInt16(bigEndian: f.loadUnaligned(fromByteOffset: lay.l3 + 4, as: UInt16.self)))
                guard plen == len - lay.l4 else { return nil }
            }
            // The segment's own checksum must hold: merging would hide a corrupt segment otherwise.
            let pseudo = Checksum.pseudoHeader(f + lay.l3, isIPv4: lay.isIPv4, protocol: 6, length: len - lay.l4)
            guard Checksum.fold(Checksum.add(f + lay.l4, len - lay.l4, to: pseudo)) == 0xFFFF else { return nil }
            if j > 0 { total += len - hdr }
        }
        // The last segment's flags (PSH), read before the payloads move over its headers.
        let lastFlags = (base + (count - 1) * stride + h).load(fromByteOffset: lay.l4 + 13, as: UInt8.self)
        // Move the payloads together behind the first segment's headers.
        var end = firstLength
        for j in 1..<count {
            let f = base + j * stride + h
            let len = (j == count - 1 ? lastLength : stride) - h
            (first + end).copyMemory(from: f + hdr, byteCount: len - hdr)
            end += len - hdr
        }
        let length = hdr + total
        // Flags of the last segment, lengths, and the IPv4 header checksum.
        first.storeBytes(of: lastFlags, toByteOffset: lay.l4 + 13, as: UInt8.self)
        let tcpLength = length - lay.l4
        if lay.isIPv4 {
            let ihl = lay.l4 - lay.l3
            first.storeBytes(of: UInt16(ihl + tcpLength).bigEndian, toByteOffset: lay.l3 + 2, as: UInt16.self)
            first.storeBytes(of: UInt16(0), toByteOffset: lay.l3 + 10, as: UInt16.self)
            Checksum.store(Checksum.add(first + lay.l3, ihl), at: first + lay.l3 + 10)
        } else {
            first.storeBytes(of: UInt16(tcpLength).bigEndian, toByteOffset: lay.l3 + 4, as: UInt16.self)
        }
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; whoever delivers the frame finishes it.
        let pseudo = Checksum.pseudoHeader(first + lay.l3, isIPv4: lay.isIPv4, protocol: 6, length: tcpLength)
        first.storeBytes(of: Checksum.fold(pseudo), toByteOffset: lay.l4 + 16, as: UInt16.self)
        let vnet = first - 10
        vnet.storeBytes(of: VirtioNetHeader.needsChecksum, as: UInt8.self)
        vnet.storeBytes(of: UInt8(lay.isIPv4 ? 1 : 4), toByteOffset: 1, as: UInt8.self)
        vnet.storeBytes(of: UInt16(hdr).littleEndian, toByteOffset: 2, as: UInt16.self)
        vnet.storeBytes(of: UInt16(mss).littleEndian, toByteOffset: 4, as: UInt16.self)
        vnet.storeBytes(of: UInt16(lay.l4).littleEndian, toByteOffset: 6, as: UInt16.self)
        vnet.storeBytes(of: UInt16(16).littleEndian, toByteOffset: 8, as: UInt16.self)
        return (length, vni)
    }

    @inline(__always)
    static func memEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}
