/// Caller-owned receive buffers for one batch of frames, each with headroom in front.
///
/// Buffer `i` is `bufferSize` bytes; a backend writes frame `i` as `virtio-net header + Ethernet
/// frame` starting at `data[i]` (by default `headroom` bytes into the buffer) and sets `length[i]`.
/// The headroom lets the datapath push a VLAN tag or put back one the kernel moved to metadata,
/// and lets a tunnel receive its outer header in front of the frame, without copying the frame.
/// `key[i]` and `remote[i]` are for sources with several ports behind them (a VXLAN endpoint: the
/// VNI and the sending VTEP); single-port backends leave them 0. A batch has `bufferCount`
/// buffers and room for `capacity` frames: a backend that reads one frame per buffer receives at
/// most `bufferCount`; one that splits a buffer (a UDP_GRO read of many datagrams) may point
/// several frames into one buffer. Allocated once per thread.
public final class ReceiveBatch: @unchecked Sendable {
    public static let defaultBuffers = 32
    public static let defaultCapacity = 512
    public static let headroom = 128
    public static let bufferSize = 65536 + 512

    public let capacity: Int
    public let bufferCount: Int
    public let bufferSize: Int
    private let pool: UnsafeMutableRawPointer
    public let data: UnsafeMutablePointer<UnsafeMutableRawPointer>
    public let length: UnsafeMutablePointer<Int>
    public let key: UnsafeMutablePointer<UInt32>
    public let remote: UnsafeMutablePointer<UInt32>

    public init(bufferCount: Int = ReceiveBatch.defaultBuffers, capacity: Int = ReceiveBatch.defaultCapacity,
                bufferSize: Int = ReceiveBatch.bufferSize) {
        precondition(capacity >= bufferCount, "a batch holds at least one frame per buffer")
        self.capacity = capacity
        self.bufferCount = bufferCount
        self.bufferSize = bufferSize
        pool = .allocate(byteCount: bufferCount * bufferSize, alignment: 64)
        data = .allocate(capacity: capacity)
        length = .allocate(capacity: capacity)
        key = .allocate(capacity: capacity)
        remote = .allocate(capacity: capacity)
        for i in 0..<capacity { data[i] = pool + (i % bufferCount) * bufferSize + ReceiveBatch.headroom }
        length.initialize(repeating: 0, count: capacity)
        key.initialize(repeating: 0, count: capacity)
        remote.initialize(repeating: 0, count: capacity)
    }

    deinit {
        pool.deallocate(); data.deallocate(); length.deallocate(); key.deallocate(); remote.deallocate()
    }

    /// The start of buffer `i` (its headroom included).
    @inline(__always) public func buffer(_ i: Int) -> UnsafeMutableRawPointer { pool + i * bufferSize }

    /// Bytes from `data[i]` to the end of the buffer it points into (for a frame that has that buffer to itself).
    @inline(__always) public func room(_ i: Int) -> Int { start(of: data[i]) + bufferSize - data[i] }

    /// The start of the buffer `p` points into.
    @inline(__always) func start(of p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        pool + ((p - pool) / bufferSize) * bufferSize
    }

    /// Frame `j` takes place `i` and the other way round (their buffers go with them; a source that
    /// drops frames after reading keeps the batch packed this way).
    @inline(__always) func swapFrames(_ i: Int, _ j: Int) {
        let d = data[i]; data[i] = data[j]; data[j] = d
        let l = length[i]; length[i] = length[j]; length[j] = l
    }

    /// Puts `data[i]` back `headroom` bytes into the buffer it points into, for every i in `range`.
    @inline(__always) func rebase(_ range: Range<Int>) {
        for i in range { data[i] = start(of: data[i]) + ReceiveBatch.headroom }
    }

    /// Puts `data[i]` of the first `count` frames back `headroom` bytes into their own buffers.
    @inline(__always) public func reset(_ count: Int) {
        for i in 0..<min(count, bufferCount) { data[i] = buffer(i) + ReceiveBatch.headroom }
    }
}
