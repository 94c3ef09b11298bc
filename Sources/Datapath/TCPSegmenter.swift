import SwitchCore

/// Software TCP segmentation and checksum completion for frames leaving through a port that
/// cannot take offloads (VXLAN): a GSO super-frame becomes MSS-sized frames with complete
/// IPv4/IPv6 and TCP headers and checksums, as the kernel's TSO would produce.
enum TCPSegmenter {
    struct Layout {
        var l3: Int       // offset of the IP header
        var l4: Int       // offset of the TCP header
        var headers: Int  // offset of the payload
        var isIPv4: Bool
    }

    /// Where the IP header and the TCP or UDP header of a frame are, and which of the two it is.
    struct L4Layout {
        var l3: Int
        var l4: Int
        var proto: UInt8
        var isIPv4: Bool
    }

    /// Finds the IP header and a TCP (6) or UDP (17) header; nil for anything else or fragments.
    static func l4Layout(_ f: UnsafeRawPointer, _ len: Int) -> L4Layout? {
        var l3 = 14
        guard len >= 14 else { return nil }
        var ethertype = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        if ethertype == 0x8100 {
            guard len >= 18 else { return nil }
            ethertype = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
            l3 = 18
        }
        switch ethertype {
        case 0x0800:
            guard len >= l3 + 20 else { return nil }
            let ihl = Int(f.load(fromByteOffset: l3, as: UInt8.self) & 0x0F) * 4
            let frag = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: l3 + 6, as: UInt16.self)) & 0x3FFF
            let proto = f.load(fromByteOffset: l3 + 9, as: UInt8.self)
            guard ihl >= 20, frag == 0, proto == 6 || proto == 17, len >= l3 + ihl + 8 else { return nil }
            return L4Layout(l3: l3, l4: l3 + ihl, proto: proto, isIPv4: true)
        case 0x86DD:
            guard len >= l3 + 48 else { return nil }
            let proto = f.load(fromByteOffset: l3 + 6, as: UInt8.self)
            guard proto == 6 || proto == 17 else { return nil }
            return L4Layout(l3: l3, l4: l3 + 40, proto: proto, isIPv4: false)
        default: return nil
        }
    }

    /// Finds the IP and TCP headers of an Ethernet frame (optionally 802.1Q tagged).
    static func layout(_ f: UnsafeRawPointer, _ len: Int) -> Layout? {
        guard let l = l4Layout(f, len), l.proto == 6, len >= l.l4 + 20 else { return nil }
        let doff = Int(f.load(fromByteOffset: l.l4 + 12, as: UInt8.self) >> 4) * 4
        guard doff >= 20, len >= l.l4 + doff else { return nil }
        return Layout(l3: l.l3, l4: l.l4, headers: l.l4 + doff, isIPv4: l.isIPv4)
    }

    /// Completes a CHECKSUM_PARTIAL frame: sums from `start` to the end (the field holds the
    /// pseudo-header sum) and stores the result at `start + offset`.
    static func completeChecksum(_ f: UnsafeMutableRawPointer, _ len: Int, start: Int, offset: Int) -> Bool {
        guard start >= 0, start + offset + 2 <= len else { return false }
        let sum = Checksum.add(f + start, len - start)
        Checksum.store(sum, at: f + start + offset)
        return true
    }

    /// Splits the TCP super-frame `f` (length `len`) into segments of at most `mss` payload bytes,
    /// written one after another into `out`, each preceded by `prefix` bytes (left for the caller,
    /// e.g. a VXLAN header). Returns (segment count, size of every full segment including prefix,
    /// total bytes), or nil when the frame is not TCP or does not fit.
    static func segment(_ f: UnsafeRawPointer, _ len: Int, mss: Int, prefix: Int,
                        into out: UnsafeMutableRawPointer, capacity: Int) -> (count: Int, stride: Int, total: Int)? {
        guard mss > 0, let lay = layout(f, len) else { return nil }
        let hdr = lay.headers
        let payload = len - hdr
        guard payload > 0 else { return nil }
        let count = (payload + mss - 1) / mss
        let stride = prefix + hdr + mss
        guard stride * (count - 1) + prefix + hdr + (payload - (count - 1) * mss) <= capacity else { return nil }
        let seq0 = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: lay.l4 + 4, as: UInt32.self))
        let id0 = lay.isIPv4 ? UInt16(bigEndian: f.loadUnaligned(fromByteOffset: lay.l3 + 4, as: UInt16.self)) : 0
        let flags0 = f.load(fromByteOffset: lay.l4 + 13, as: UInt8.self)
        let tcpHeaderLength = hdr - lay.l4
        var total = 0
        for i in 0..<count {
            let chunk = min(mss, payload - i * mss)
            let seg = out + i * stride + prefix
            seg.copyMemory(from: f, byteCount: hdr)
            (seg + hdr).copyMemory(from: f + hdr + i * mss, byteCount: chunk)
            let tcpLength = tcpHeaderLength + chunk
            // IP header.
            if lay.isIPv4 {
                let ip = seg + lay.l3
                let ihl = lay.l4 - lay.l3
                ip.storeBytes(of: UInt16(ihl + tcpLength).bigEndian, toByteOffset: 2, as: UInt16.self)
                ip.storeBytes(of: (id0 &+ UInt16(truncatingIfNeeded: i)).bigEndian, toByteOffset: 4, as: UInt16.self)
                ip.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
                Checksum.store(Checksum.add(ip, ihl), at: ip + 10)
            } else {
                (seg + lay.l3).storeBytes(of: UInt16(tcpLength).bigEndian, toByteOffset: 4, as: UInt16.self)
            }
            // TCP header.
            let tcp = seg + lay.l4
            tcp.storeBytes(of: (seq0 &+ UInt32(i * mss)).bigEndian, toByteOffset: 4, as: UInt32.self)
            var flags = flags0
            if i < count - 1 { flags &= ~0x09 }   // FIN and PSH only on the last segment
            if i > 0 { flags &= ~0x80 }            // CWR only on the first
            tcp.storeBytes(of: flags, toByteOffset: 13, as: UInt8.self)
            tcp.storeBytes(of: UInt16(0), toByteOffset: 16, as: UInt16.self)
            // Pseudo header + segment.
            let pseudo = Checksum.pseudoHeader(seg + lay.l3, isIPv4: lay.isIPv4, protocol: 6, length: tcpLength)
            Checksum.store(Checksum.add(tcp, tcpLength, to: pseudo), at: tcp + 16)
            total = i * stride + prefix + hdr + chunk
        }
        return (count, stride, total)
    }
}
