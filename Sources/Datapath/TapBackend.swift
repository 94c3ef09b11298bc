import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// A tap port: one fd per queue, each carrying `virtio-net header + frame` (IFF_VNET_HDR, offloads on).
///
/// A multi-queue tap (IFF_MULTI_QUEUE) has one queue per datapath thread; the kernel puts each
/// flow the netdev transmits on one queue, so each thread reads its own flows. A single-queue tap
/// is read by thread 0 only. Any thread writes through its own queue (or queue 0): a write of one
/// frame is atomic. The daemon owns the fds and closes them after the datapath dropped the port.
///
/// A read returns one frame and nothing tells how many more wait, so reading until EAGAIN costs a
/// system call per wakeup that returns nothing — with one frame per wakeup (a ping, a TCP stream's
/// ACKs), a third of the thread's calls for that frame. The poller's epoll is level-triggered: a
/// queue that still holds frames is reported again. So a queue whose last emptying read found at
/// most one frame is read one frame at a time (no empty read); two such rounds in a row that did
/// not run it empty, or an emptying read that found more, put it back to full batches read until
/// EAGAIN, as before.
public final class TapBackend: PortBackend, @unchecked Sendable {
    public let fds: [Int32]
    public var queueCount: Int { fds.count }
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]
    /// Per queue: how many frames the next `receive` reads at most (1 or a batch), and (next word)
    /// whether the last one-frame round did not run the queue empty (written only by the queue's own
    /// thread; queues 128 bytes apart so two threads' words do not share a cache line).
    private let readLimit: UnsafeMutablePointer<Int>
    private static let limitStride = 16

    public init(fds: [Int32]) {
        precondition(!fds.isEmpty, "a tap has at least one queue")
        self.fds = fds
        readLimit = .allocate(capacity: fds.count * TapBackend.limitStride)
        readLimit.initialize(repeating: 0, count: fds.count * TapBackend.limitStride)
        for q in 0..<fds.count { readLimit[q * TapBackend.limitStride] = 1 }
    }

    deinit { readLimit.deallocate() }

    public func receiveFD(queue: Int) -> Int32 { queue < fds.count ? fds[queue] : -1 }

    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int {
        let fd = fds[queue]
        let limitSlot = readLimit + queue * TapBackend.limitStride
        let limit = min(max(limitSlot.pointee, 1), batch.bufferCount)
        var n = 0
        while n < limit {
            let r = tp_read(fd, batch.data[n], batch.room(n))
            if r <= 0 {
                // Ran empty (or failed): one frame or none → one at a time; more → full batches.
                limitSlot.pointee = n <= 1 ? 1 : batch.bufferCount
                limitSlot[1] = 0
                return n
            }
            batch.length[n] = Int(r)
            n += 1
        }
        // Stopped at the limit, frames perhaps left (epoll reports them again): a one-frame limit
        // reached twice in a row goes back to full batches.
        if limit < batch.bufferCount {
            if limitSlot[1] != 0 {
                limitSlot.pointee = batch.bufferCount
                limitSlot[1] = 0
            } else {
                limitSlot[1] = 1
            }
        }
        return n
    }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        let fd = fds[context.queue % fds.count]
        _ = tp_send_batch(fd, frames, Int32(count), 0)
        countResults(frames, count: count, counters: counters)
    }
}

/// Counts each sent slot as sent (its frame bytes after the edit) or dropped (EMSGSIZE: too big; else a tx error).
@inline(__always)
func countResults(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, counters: CounterLane) {
    for i in 0..<count {
        let r = frames[i].result
        if r >= 0 {
            let delta = frames[i].edit == Int32(TP_EDIT_PUSH) ? 4 : frames[i].edit == Int32(TP_EDIT_POP) ? -4 : 0
            counters.sent(bytes: Int(frames[i].len) + delta)
        } else {
            counters.dropped(-r == EMSGSIZE ? .tooBig : .txError)
        }
    }
}
