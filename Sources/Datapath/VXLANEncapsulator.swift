import CTapestryShims
import SwitchCore
#if canImport(Glibc)
import Glibc
#endif

/// Sends frames into a VXLAN tunnel (RFC 7348): applies the egress tag edit, finishes
/// offloads in software (checksum of a CHECKSUM_PARTIAL frame; TCP segmentation of a GSO
/// super-frame), prepends the 8-byte VXLAN header and sends through the tunnel's UDP socket,
/// all segments of a super-frame in one UDP_SEGMENT send. Buffers are allocated once.
/// Owned by the datapath thread.
final class VXLANEncapsulator {
    static let headerLength = 8
    static let frameCapacity = 65536 + 1024
    static let segmentCapacity = 3 * 65536
    /// What one UDP_SEGMENT send may carry.
    static let maxSendBytes = 60000
    static let maxSendSegments = 64

    private let frame: UnsafeMutableRawPointer
    private let segments: UnsafeMutableRawPointer

    init() {
        frame = .allocate(byteCount: VXLANEncapsulator.frameCapacity, alignment: 64)
        segments = .allocate(byteCount: VXLANEncapsulator.segmentCapacity, alignment: 64)
    }

    deinit { frame.deallocate(); segments.deallocate() }

    /// Encapsulates and sends; counts on `counters` (tx or the drop reason).
    func send(_ binding: VXLANBinding, vnet: UnsafeRawPointer, frame input: UnsafeRawBufferPointer, edit: EgressEdit,
              remote: UInt32, counters: CounterLane) {
        guard let src = input.baseAddress else { return }
        let h = VXLANEncapsulator.headerLength
        let f = frame + h
        // 1. The frame as it leaves, contiguous after room for the VXLAN header.
        var len = input.count
        var delta = 0
        switch edit {
        case .none:
            f.copyMemory(from: src, byteCount: len)
        case .push(let tci):
            f.copyMemory(from: src, byteCount: 12)
            storeTag(f + 12, tci)
            (f + 16).copyMemory(from: src + 12, byteCount: len - 12)
            len += 4; delta = 4
        case .pop:
            f.copyMemory(from: src, byteCount: 12)
            (f + 12).copyMemory(from: src + 16, byteCount: len - 16)
            len -= 4; delta = -4
        case .retag(let tci):
            f.copyMemory(from: src, byteCount: 12)
            storeTag(f + 12, tci)
            (f + 16).copyMemory(from: src + 16, byteCount: len - 16)
        }
        let flags = vnet.load(as: UInt8.self)
        let gsoType = vnet.load(fromByteOffset: 1, as: UInt8.self) & 0x7F
        let gsoSize = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        let csumStart = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 6, as: UInt16.self))) + delta
        let csumOffset = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        let vni = binding.vni
        let sport = sender(binding, f, len)

        // 2. Offloads finished in software.
        if gsoType != 0 {
            guard gsoType == 1 || gsoType == 4, let seg = TCPSegmenter.segment(
                f, len, mss: gsoSize, prefix: h, into: segments, capacity: VXLANEncapsulator.segmentCapacity) else {
                counters.dropped(.unsupportedOffload)
                return
            }
            for i in 0..<seg.count { writeHeader(segments + i * seg.stride, vni) }
            for k in 0..<remoteCount(binding, remote) {
                let r = remote != 0 ? remote : binding.remotes[k]
                var first = 0
                while first < seg.count {
                    let n = min(VXLANEncapsulator.maxSendSegments, VXLANEncapsulator.maxSendBytes / seg.stride, seg.count - first)
                    let start = first * seg.stride
                    let end = first + n == seg.count ? seg.total : (first + n) * seg.stride
                    let sent = transmit(binding, sport, r, segments + start, end - start, UInt16(seg.stride))
                    if sent < 0 {
                        counters.dropped(-sent == Int(EMSGSIZE) || -sent == Int(EINVAL) ? .tooBig : .txError)
                    } else {
                        // Counted as the frames the peer will see.
                        for k in 0..<n {
                            let size = (first + k == seg.count - 1 ? seg.total - (first + k) * seg.stride : seg.stride) - h
                            counters.sent(bytes: size)
                        }
                    }
                    first += n
                }
            }
            return
        }
        if flags & VirtioNetHeader.needsChecksum != 0 {
            _ = TCPSegmenter.completeChecksum(f, len, start: csumStart, offset: csumOffset)
        }
        writeHeader(frame, vni)
        for k in 0..<remoteCount(binding, remote) {
            let r = remote != 0 ? remote : binding.remotes[k]
            let sent = transmit(binding, sport, r, frame, len + h, 0)
            if sent < 0 { counters.dropped(-sent == Int(EMSGSIZE) ? .tooBig : .txError) } else { counters.sent(bytes: len) }
        }
    }

    /// One UDP send (segmented when `seg` > 0) to the remote with key `r`; bytes sent or -errno.
    @inline(__always)
    private func transmit(_ b: VXLANBinding, _ fd: Int32, _ r: UInt32, _ p: UnsafeRawPointer, _ len: Int, _ seg: UInt16) -> Int {
        if !b.isIPv6 { return tp_udp_send(fd, r, b.dstPort, p, len, seg) }
        // IPv6 underlay: the kernel builds the IPv6 and UDP headers and computes the UDP checksum.
        guard var a = b.ipv6Addresses[r] else { return -Int(EHOSTUNREACH) }
        return withUnsafeBytes(of: &a) { bytes in
            tp_udp6_send(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), b.dstPort, p, len, seg)
        }
    }

    /// How many remotes a frame goes to: the one learned for its destination, or every remote (a
    /// flood, or a destination not learned behind a remote). No array is built per frame.
    @inline(__always)
    private func remoteCount(_ t: VXLANBinding, _ remote: UInt32) -> Int {
        remote != 0 ? 1 : t.remotes.count
    }

    @inline(__always)
    private func storeTag(_ p: UnsafeMutableRawPointer, _ tci: UInt16) {
        p.storeBytes(of: UInt16(0x8100).bigEndian, as: UInt16.self)
        p.storeBytes(of: tci.bigEndian, toByteOffset: 2, as: UInt16.self)
    }

    @inline(__always)
    private func writeHeader(_ p: UnsafeMutableRawPointer, _ vni: UInt32) {
        p.storeBytes(of: UInt32(0x0800_0000).bigEndian, as: UInt32.self)
        p.storeBytes(of: (vni << 8).bigEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// Picks the sending socket by a hash of the inner flow (MACs, and IP addresses and ports when present).
    @inline(__always)
    private func sender(_ t: VXLANBinding, _ f: UnsafeRawPointer, _ len: Int) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) { hash = (hash ^ v) &* 0x1000_0000_01b3 }
        if len >= 12 { mix(f.loadUnaligned(as: UInt64.self)); mix(UInt64(f.loadUnaligned(fromByteOffset: 8, as: UInt32.self))) }
        if let lay = TCPSegmenter.layout(f, len) {
            if lay.isIPv4 { mix(f.loadUnaligned(fromByteOffset: lay.l3 + 12, as: UInt64.self)) }
            else { mix(f.loadUnaligned(fromByteOffset: lay.l3 + 8, as: UInt64.self)); mix(f.loadUnaligned(fromByteOffset: lay.l3 + 24, as: UInt64.self)) }
            mix(UInt64(f.loadUnaligned(fromByteOffset: lay.l4, as: UInt32.self)))
        }
        let fds = t.tunnel.sendFDs
        return fds[Int((hash ^ (hash >> 29)) % UInt64(fds.count))]
    }
}

