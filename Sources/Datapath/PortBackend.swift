import CTapestryShims

/// Something the datapath polls for received frames: a port's device, or an endpoint with several
/// ports behind it (a VXLAN UDP socket, demultiplexed by `ReceiveBatch.key`).
///
/// A source has `queueCount` receive queues; datapath thread `k` polls queue `k` (threads beyond
/// the count poll nothing of it), so the frames of one flow, which the kernel keeps on one queue,
/// stay on one thread and in order. `receive` never blocks and never allocates: it fills the
/// caller's batch from index 0 and returns how many frames it wrote (0 when none was waiting).
public protocol FrameSource: AnyObject, Sendable {
    var queueCount: Int { get }
    /// The fd the poller watches for `queue` (readable when frames wait), or -1.
    func receiveFD(queue: Int) -> Int32
    /// Reads frames of `queue` into `batch` (at most `batch.capacity`; one buffer each unless it
    /// splits reads); `counters` is the thread's lane for drops the source itself sees (a bad tunnel header).
    func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int
}

/// What a port's device can take and give besides plain frames.
public struct PortOffloads: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Frames carry a virtio-net header (taps with IFF_VNET_HDR, AF_PACKET with PACKET_VNET_HDR).
    public static let vnetHeader = PortOffloads(rawValue: 1)
    /// Frames may leave with an unfinished checksum (CHECKSUM_PARTIAL).
    public static let checksum = PortOffloads(rawValue: 2)
    /// TCP super-frames (up to 64 KiB) may leave unsegmented.
    public static let tso = PortOffloads(rawValue: 4)
    /// The device sends UDP in segments of one buffer (UDP_SEGMENT) and receives coalesced (UDP_GRO).
    public static let udpGSO = PortOffloads(rawValue: 8)
}

/// A port kind's I/O: "a thing frames come from and go to". Tap (single and multi-queue),
/// AF_PACKET, VXLAN and patch ports implement it; vhost-user and bonds plug in here too.
///
/// Frames in and out are `virtio-net header + Ethernet frame` in caller-owned memory; the decision
/// code never sees which kind a port is. `send` gets a batch of `tp_tx_slot`s (frame, its header,
/// the tag edit to apply on the way out, a tunnel remote) and must not keep pointers into them
/// after it returns; it counts each frame on `counters` (sent, or dropped with a reason).
/// A backend is shared by every datapath thread: `send` may run on several threads at once, each
/// with its own `context` (thread-owned scratch), so per-thread state lives in the context or is
/// indexed by `context.queue`.
public protocol PortBackend: FrameSource {
    var offloads: PortOffloads { get }
    func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane)
    /// Whether a frame that came from tunnel remote `remote` may enter through this port (0: not from a tunnel).
    func accepts(remote: UInt32) -> Bool
}

extension PortBackend {
    public func accepts(remote: UInt32) -> Bool { true }
}

/// The scratch space of one datapath thread that sends use: the thread's queue index, the VXLAN
/// encapsulation buffers, and the loopback batch where frames sent into a patch port wait to be
/// received by its peer once the current batch is done (two batches: one filling, one being switched).
public final class TransmitContext: @unchecked Sendable {
    public let queue: Int
    let encapsulator = VXLANEncapsulator()
    /// Frames sent to patch ports during the current batch (copied, tag edits applied).
    private(set) var loopback = ReceiveBatch(bufferCount: 32, capacity: 32)
    /// Per loopback frame: the global index of the patch port it was sent into.
    private(set) var loopbackPort: UnsafeMutablePointer<Int32>
    var loopbackCount = 0
    private var spare = ReceiveBatch(bufferCount: 32, capacity: 32)
    private var sparePort: UnsafeMutablePointer<Int32>
    /// The global index of the port the current `send` is for (set by the datapath before each send).
    public internal(set) var port: Int32 = -1

    init(queue: Int) {
        self.queue = queue
        loopbackPort = .allocate(capacity: 32)
        sparePort = .allocate(capacity: 32)
    }

    deinit { loopbackPort.deallocate(); sparePort.deallocate() }

    /// Hands over the filled loopback batch and starts filling the other one.
    func takeLoopback() -> (ReceiveBatch, UnsafeMutablePointer<Int32>, Int) {
        let taken = (loopback, loopbackPort, loopbackCount)
        swap(&loopback, &spare)
        swap(&loopbackPort, &sparePort)
        loopbackCount = 0
        return taken
    }
}
