/// Raw storage for per-thread counter lanes (`PortCounters`, `VhostUserQueueCounters`): each lane
/// starts on a 128-byte boundary and takes whole 128-byte blocks, so no two threads' lanes share a
/// cache line — nor the pair of lines the adjacent-line prefetchers of x86 cores fetch together. A
/// plain `UnsafeMutablePointer<UInt64>.allocate` is only 16-byte aligned: lane k's first counters
/// (received frames, written per frame) shared a line with lane k-1's last ones.
enum CounterLaneStorage {
    /// Bytes per block: two 64-byte cache lines.
    static let alignment = 128
    static let wordsPerBlock = alignment / MemoryLayout<UInt64>.stride

    /// Words per lane for `words` counters: a whole number of blocks.
    static func stride(words: Int) -> Int { max(1, (words + wordsPerBlock - 1) / wordsPerBlock) * wordsPerBlock }

    /// Zeroed storage for `lanes` lanes of `stride` words, 128-byte aligned; free with `deallocate`.
    static func allocate(lanes: Int, stride: Int) -> UnsafeMutablePointer<UInt64> {
        let count = lanes * stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt64>.stride, alignment: alignment)
        return raw.initializeMemory(as: UInt64.self, repeating: 0, count: count)
    }

    static func deallocate(_ storage: UnsafeMutablePointer<UInt64>) { UnsafeMutableRawPointer(storage).deallocate() }
}
