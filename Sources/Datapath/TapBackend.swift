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
public final class TapBackend: PortBackend {
    public let fds: [Int32]
    public var queueCount: Int { fds.count }
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]

    public init(fds: [Int32]) {
        precondition(!fds.isEmpty, "a tap has at least one queue")
        self.fds = fds
    }

    public func receiveFD(queue: Int) -> Int32 { queue < fds.count ? fds[queue] : -1 }

    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int {
        let fd = fds[queue]
        var n = 0
        while n < batch.bufferCount {
            let r = tp_read(fd, batch.data[n], batch.room(n))
            if r <= 0 { break }
            batch.length[n] = Int(r)
            n += 1
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
