/// Caller-owned, reusable storage for one batch of frames through the decision pipeline
/// (`BridgeEngine.decide(_:inSlot:now:learning:)`): the frames of one port as they were
/// received (borrowed bytes, each with the remote VTEP it came from when it left a tunnel), and
/// after the call, per frame, the decision (VLAN, drop reason, unicast or flood, what was learned)
/// and the list of outputs (`FrameOutput`) to carry out in order.
///
/// Allocated once (outputs grow only when a configuration needs more per frame than ever before);
/// nothing is allocated per frame or per batch. The frames' bytes must stay valid and unchanged
/// until the outputs are done. Not thread-safe: one owner (a datapath thread, a test) per batch.
///
/// The per-frame accessors (`append`, `decision`, `outputs`, …) are `@inlinable`: the datapath
/// calls them from another module for every frame, and as calls they cost ~45 instructions per frame.
public final class FrameBatch {
    @usableFromInline
    struct State {
        @usableFromInline var count = 0
        @usableFromInline var outputs: UnsafeMutablePointer<FrameOutput>
        @usableFromInline var outputCapacity: Int

        init(outputs: UnsafeMutablePointer<FrameOutput>, outputCapacity: Int) {
            self.outputs = outputs
            self.outputCapacity = outputCapacity
        }
    }

    /// The most frames a batch holds.
    public let capacity: Int
    /// The monotonic clock in nanoseconds for this batch's rate limits (0: derived from `now` in ms).
    /// (No dynamic exclusivity check: one owner, read once per batch.)
    @exclusivity(unchecked) public var clockNanos: Int64 = 0
    @usableFromInline let state: UnsafeMutablePointer<State>
    @usableFromInline let frames: UnsafeMutablePointer<UnsafeRawBufferPointer>
    @usableFromInline let remotes: UnsafeMutablePointer<UInt32>
    @usableFromInline let decisions: UnsafeMutablePointer<ForwardingDecision>
    /// Frame i's outputs are `outputs[bounds[i] ..< bounds[i + 1]]`.
    @usableFromInline let bounds: UnsafeMutablePointer<Int32>
    /// Per frame a buffer for a frame the bridge generates for it (an ARP reply), with headroom.
    @usableFromInline let replies: UnsafeMutableRawPointer
    /// The length of each frame's reply.
    @usableFromInline let replyLengths: UnsafeMutablePointer<Int32>

    /// Bytes in front of a reply that a datapath may use (a virtio-net header, a pushed tag).
    public static let replyHeadroom = 128
    @usableFromInline static var replyStride: Int { 256 }

    public init(capacity: Int = 32) {
        precondition(capacity > 0, "a batch holds at least one frame")
        self.capacity = capacity
        let outputCapacity = capacity * 8
        state = .allocate(capacity: 1)
        state.initialize(to: State(outputs: .allocate(capacity: outputCapacity), outputCapacity: outputCapacity))
        frames = .allocate(capacity: capacity)
        frames.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: capacity)
        remotes = .allocate(capacity: capacity)
        remotes.initialize(repeating: 0, count: capacity)
        decisions = .allocate(capacity: capacity)
        decisions.initialize(repeating: ForwardingDecision.drop(.runt, ForwardingDecision.emptyHeader), count: capacity)
        bounds = .allocate(capacity: capacity + 1)
        bounds.initialize(repeating: 0, count: capacity + 1)
        replies = .allocate(byteCount: capacity * FrameBatch.replyStride, alignment: 64)
        replies.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * FrameBatch.replyStride)
        replyLengths = .allocate(capacity: capacity)
        replyLengths.initialize(repeating: 0, count: capacity)
    }

    deinit {
        state.pointee.outputs.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        frames.deallocate(); remotes.deallocate(); decisions.deallocate(); bounds.deallocate(); replies.deallocate(); replyLengths.deallocate()
    }

    /// Frames in the batch.
    public var count: Int {
        @inlinable @inline(__always) get { state.pointee.count }
    }

    public var isFull: Bool {
        @inlinable @inline(__always) get { state.pointee.count == capacity }
    }

    /// Empties the batch for the next receive.
    @inlinable @inline(__always)
    public func removeAll() {
        state.pointee.count = 0
        bounds[0] = 0
    }

    /// Adds a received frame (from tunnel remote `remote`, 0: not from a tunnel); false when full.
    @discardableResult @inlinable @inline(__always)
    public func append(_ frame: UnsafeRawBufferPointer, remote: UInt32 = 0) -> Bool {
        let n = state.pointee.count
        guard n < capacity else { return false }
        frames[n] = frame
        remotes[n] = remote
        state.pointee.count = n + 1
        return true
    }

    /// The bytes of frame `i` as received.
    @inlinable @inline(__always)
    public func frame(_ i: Int) -> UnsafeRawBufferPointer { frames[i] }

    /// The remote VTEP frame `i` came from (0: not from a tunnel).
    @inlinable @inline(__always)
    public func remote(_ i: Int) -> UInt32 { remotes[i] }

    /// What the pipeline decided for frame `i`.
    @inlinable @inline(__always)
    public func decision(_ i: Int) -> ForwardingDecision { decisions[i] }

    /// What to do with frame `i`, in order (empty for a dropped frame nobody captures).
    @inlinable @inline(__always)
    public func outputs(_ i: Int) -> UnsafeBufferPointer<FrameOutput> {
        let start = Int(bounds[i])
        return UnsafeBufferPointer(start: state.pointee.outputs + start, count: Int(bounds[i + 1]) - start)
    }

    /// The frame the bridge generated for frame `i` (its `.reply` output: an ARP reply or a
    /// neighbour advertisement): valid until the batch
    /// is decided again; `replyHeadroom` writable bytes precede it.
    @inlinable @inline(__always)
    public func reply(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: replyBuffer(i), count: Int(replyLengths[i]))
    }

    @inlinable @inline(__always)
    func replyBuffer(_ i: Int) -> UnsafeMutableRawPointer { replies + (i &* FrameBatch.replyStride &+ FrameBatch.replyHeadroom) }

    /// Makes room for `perFrame` more outputs after the first `used` (a configuration with more
    /// ports, mirrors or captures than before; the control path's cost, not the frames').
    @inline(__always)
    func reserveOutputs(used: Int, perFrame: Int) -> UnsafeMutablePointer<FrameOutput> {
        if used + perFrame > state.pointee.outputCapacity { growOutputs(to: used + perFrame, keeping: used) }
        return state.pointee.outputs
    }

    private func growOutputs(to needed: Int, keeping used: Int) {
        var n = state.pointee.outputCapacity
        while n < needed { n *= 2 }
        let grown = UnsafeMutablePointer<FrameOutput>.allocate(capacity: n)
        grown.moveInitialize(from: state.pointee.outputs, count: used)
        state.pointee.outputs.deallocate()
        state.pointee.outputs = grown
        state.pointee.outputCapacity = n
    }
}
