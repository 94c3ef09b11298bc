/// Frames held back until a time: the queue behind a port's egress shaping and impairments.
///
/// One contiguous byte ring (allocated once, its size the queue's byte limit) holds the frames
/// back to back; a ring of records holds each frame's place and release time. Frames leave in
/// the order they came (release times never decrease: the shaper and the impairment keep order).
/// No allocation after `init`. Confined to one datapath thread.
final class DelayLine {
    private struct Record { var offset: Int; var length: Int; var releaseAt: Int64; var tag: UInt32 }

    private let bytes: UnsafeMutableRawPointer
    let byteCapacity: Int
    private var records: [Record]
    private var head = 0, count = 0
    /// Byte ring: next write offset, and bytes in use (including any gap skipped at the end).
    private var writeOffset = 0, readOffset = 0, used = 0

    /// Frames held now.
    var frameCount: Int { count }
    var isEmpty: Bool { count == 0 }

    init(byteCapacity: Int, maxFrames: Int = 4096) {
        self.byteCapacity = max(byteCapacity, 65536 + 512)
        bytes = .allocate(byteCount: self.byteCapacity, alignment: 16)
        records = Array(repeating: Record(offset: 0, length: 0, releaseAt: 0, tag: 0), count: max(maxFrames, 1))
    }

    deinit { bytes.deallocate() }

    /// When the first frame is due (nil: empty).
    var nextRelease: Int64? { count == 0 ? nil : records[head].releaseAt }

    /// Copies `prefix` (e.g. a virtio-net header) and `frame` in, back to back, to leave at
    /// `releaseAt` with `tag` (the caller's note, e.g. the tag edit still to make); false (nothing
    /// copied) when the line is full.
    func enqueue(prefix: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), _ frame: UnsafeRawBufferPointer,
                 releaseAt: Int64, tag: UInt32 = 0) -> Bool {
        let n = prefix.count + frame.count
        guard frame.count > 0, count < records.count, let base = frame.baseAddress else { return false }
        var offset = writeOffset
        var gap = 0
        if offset + n > byteCapacity { gap = byteCapacity - offset; offset = 0 }  // skip the tail, wrap
        guard used + gap + n <= byteCapacity else { return false }
        if let p = prefix.baseAddress, prefix.count > 0 { (bytes + offset).copyMemory(from: p, byteCount: prefix.count) }
        (bytes + offset + prefix.count).copyMemory(from: base, byteCount: frame.count)
        used += gap + n
        writeOffset = offset + n
        let slot = (head + count) % records.count
        records[slot] = Record(offset: offset, length: n, releaseAt: releaseAt, tag: tag)
        count += 1
        return true
    }

    /// Hands every frame due at `now` (prefix and frame together, and its tag) to `send`, in order, and frees it.
    func releaseDue(now: Int64, _ send: (UnsafeRawBufferPointer, UInt32) -> Void) {
        while count > 0 {
            let r = records[head]
            guard r.releaseAt <= now else { return }
            send(UnsafeRawBufferPointer(start: bytes + r.offset, count: r.length), r.tag)
            // Free its bytes (and the gap before it when it had wrapped).
            let freed = r.offset >= readOffset ? (r.offset - readOffset) + r.length : (byteCapacity - readOffset) + r.offset + r.length
            used -= freed
            readOffset = r.offset + r.length
            head = (head + 1) % records.count
            count -= 1
            if count == 0 { used = 0; readOffset = 0; writeOffset = 0 }
        }
    }

    /// Drops every held frame (the port went away or its policy changed); returns how many.
    @discardableResult
    func removeAll() -> Int {
        let n = count
        count = 0; head = 0; used = 0; readOffset = 0; writeOffset = 0
        return n
    }
}
