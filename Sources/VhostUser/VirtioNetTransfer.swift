/// Moving frames between virtio-net queues and the switch's buffers. The switch's side of a frame
/// is a 10-byte virtio_net_hdr followed by the frame, as taps use it; the guest's header is
/// `headerLength` bytes (12 with VERSION_1 or MRG_RXBUF: num_buffers at the end).
public enum VirtioNetTransfer {
    /// The size of struct virtio_net_hdr without num_buffers.
    public static let baseHeaderLength = 10
    /// The largest chain accepted on a receive queue (bytes of all its buffers).
    public static let maxReceiveChain = 1 << 18

    /// What taking a frame from a guest's transmit queue gave.
    public enum Received: Equatable {
        case empty
        /// `length` bytes at the destination: the 10-byte header and the frame.
        case frame(length: Int)
        case fault(VirtqueueFault)
    }

    /// Copies the next frame the guest sent on `queue` to `dest` (10-byte header, then the frame),
    /// at most `capacity` bytes there. Chains that do not fit or are malformed are refused.
    public static func receive(from queue: SplitVirtqueue, headerLength: Int, into dest: UnsafeMutableRawPointer,
                               capacity: Int) -> Received {
        let h = baseHeaderLength
        switch queue.pop(writable: false, maxBytes: capacity - h + headerLength) {
        case .empty: return .empty
        case .fault(let f): return .fault(f)
        case .chain(let head, let count, let bytes):
            guard bytes >= headerLength else {
                queue.count(.badDescriptor)
                queue.addUsed(head: head, length: 0)
                return .fault(.badDescriptor)
            }
            if count == 1 {
                // One buffer holding the guest's header and the frame (what DPDK and Linux send for
                // small frames): the base header, then the frame, without walking the layout.
                let p = queue.segments[0].0
                copyBaseHeader(to: dest, from: p)
                (dest + h).copyMemory(from: p + headerLength, byteCount: bytes - headerLength)
                queue.addUsed(head: head, length: 0)
                return .frame(length: h + bytes - headerLength)
            }
            var logical = 0
            for s in 0..<count {
                let (p, n) = queue.segments[s]
                var off = 0
                while off < n {
                    let o = logical + off
                    if o < h {
                        let c = min(h - o, n - off)
                        (dest + o).copyMemory(from: p + off, byteCount: c)
                        off += c
                    } else if o < headerLength {
                        off += min(headerLength - o, n - off)
                    } else {
                        let c = n - off
                        (dest + h + (o - headerLength)).copyMemory(from: p + off, byteCount: c)
                        off += c
                    }
                }
                logical += n
            }
            queue.addUsed(head: head, length: 0)
            return .frame(length: h + bytes - headerLength)
        }
    }

    /// What giving a frame to a guest's receive queue gave.
    public enum Sent: Equatable {
        case sent
        /// The guest has not posted enough buffers: nothing was taken.
        case noBuffers
        /// Without mergeable buffers, the frame is larger than the guest's buffer.
        case tooBig
        case fault(VirtqueueFault)
    }

    /// Writes the 10-byte header `vnet` and the frame (`pieces`, in order) into the guest's receive
    /// `queue`, over as many chains as needed with mergeable buffers (num_buffers set), else one.
    /// Not published: call `queue.publishAndSignal()` after a batch.
    public static func send(to queue: SplitVirtqueue, headerLength: Int, mergeable: Bool, vnet: UnsafeRawPointer,
                            pieces: FramePieces) -> Sent {
        let mark = queue.mark
        var cursor = SourceCursor(vnet: vnet, headerLength: headerLength, pieces: pieces)
        var remaining = headerLength + pieces.totalLength
        var buffers: UInt16 = 0
        var numBuffersAt: UnsafeMutableRawPointer?
        while remaining > 0 {
            switch queue.pop(writable: true, maxBytes: maxReceiveChain) {
            case .empty:
                queue.rewind(to: mark)
                return .noBuffers
            case .fault(let f):
                return .fault(f)
            case .chain(let head, let count, let bytes):
                if buffers == 0 {
                    guard count > 0, queue.segments[0].1 >= headerLength else {
                        queue.count(.badDescriptor)
                        queue.addUsed(head: head, length: 0)
                        return .fault(.badDescriptor)
                    }
                    let (p, n) = queue.segments[0]
                    if n >= remaining {
                        // The whole frame fits the chain's first buffer (the usual case): header,
                        // num_buffers = 1, then the pieces, without the stream cursor.
                        copyBaseHeader(to: p, from: vnet)
                        if headerLength > baseHeaderLength {
                            (p + baseHeaderLength).storeBytes(of: UInt16(1).littleEndian, as: UInt16.self)
                        }
                        var at = p + headerLength
                        if let s = pieces.p0 { at.copyMemory(from: s, byteCount: pieces.n0) }
                        at += pieces.n0
                        if let s = pieces.p1 { at.copyMemory(from: s, byteCount: pieces.n1) }
                        at += pieces.n1
                        if let s = pieces.p2 { at.copyMemory(from: s, byteCount: pieces.n2) }
                        queue.addUsed(head: head, length: remaining)
                        return .sent
                    }
                    numBuffersAt = p + baseHeaderLength
                    if !mergeable && bytes < remaining {
                        queue.rewind(to: mark)
                        return .tooBig
                    }
                }
                var written = 0
                for s in 0..<count where remaining > 0 {
                    let (p, n) = queue.segments[s]
                    let c = cursor.copy(to: p, max: min(n, remaining))
                    written += c
                    remaining -= c
                }
                queue.addUsed(head: head, length: written)
                buffers += 1
            }
        }
        if headerLength > baseHeaderLength, let at = numBuffersAt {
            at.storeBytes(of: buffers.littleEndian, toByteOffset: 0, as: UInt16.self)
        }
        return .sent
    }
}

extension VirtioNetTransfer {
    /// Copies the 10-byte virtio_net_hdr (two loads and two stores, no memmove call).
    @inline(__always)
    static func copyBaseHeader(to dest: UnsafeMutableRawPointer, from src: UnsafeRawPointer) {
        dest.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
        dest.storeBytes(of: src.loadUnaligned(fromByteOffset: 8, as: UInt16.self), toByteOffset: 8, as: UInt16.self)
    }
}

/// Up to three byte ranges that together are one frame (so that a tag can be pushed or popped
/// while copying: MAC addresses, the tag, the rest).
public struct FramePieces {
    public var p0: UnsafeRawPointer?, n0: Int
    public var p1: UnsafeRawPointer?, n1: Int
    public var p2: UnsafeRawPointer?, n2: Int

    public init(_ p0: UnsafeRawPointer?, _ n0: Int, _ p1: UnsafeRawPointer? = nil, _ n1: Int = 0,
                _ p2: UnsafeRawPointer? = nil, _ n2: Int = 0) {
        self.p0 = p0; self.n0 = n0; self.p1 = p1; self.n1 = n1; self.p2 = p2; self.n2 = n2
    }

    public var totalLength: Int { n0 + n1 + n2 }
}

/// Reads the header, the zero num_buffers placeholder and the pieces as one stream.
struct SourceCursor {
    let vnet: UnsafeRawPointer
    let headerLength: Int
    let pieces: FramePieces
    var part = 0
    var offset = 0

    init(vnet: UnsafeRawPointer, headerLength: Int, pieces: FramePieces) {
        self.vnet = vnet; self.headerLength = headerLength; self.pieces = pieces
    }

    /// Copies up to `max` bytes of the stream to `dest`; returns how many.
    mutating func copy(to dest: UnsafeMutableRawPointer, max: Int) -> Int {
        var done = 0
        while done < max && part < 5 {
            let n: Int
            switch part {
            case 0: n = VirtioNetTransfer.baseHeaderLength
            case 1: n = headerLength - VirtioNetTransfer.baseHeaderLength
            case 2: n = pieces.n0
            case 3: n = pieces.n1
            default: n = pieces.n2
            }
            let c = min(n - offset, max - done)
            if c > 0 {
                let d = dest + done
                switch part {
                case 0: d.copyMemory(from: vnet + offset, byteCount: c)
                case 1:
                    if c == 2 { d.storeBytes(of: UInt16(0), as: UInt16.self) } else { d.initializeMemory(as: UInt8.self, repeating: 0, count: c) }
                case 2: if let p = pieces.p0 { d.copyMemory(from: p + offset, byteCount: c) }
                case 3: if let p = pieces.p1 { d.copyMemory(from: p + offset, byteCount: c) }
                default: if let p = pieces.p2 { d.copyMemory(from: p + offset, byteCount: c) }
                }
                done += c
                offset += c
            }
            if offset >= n { part += 1; offset = 0 }
        }
        return done
    }
}
