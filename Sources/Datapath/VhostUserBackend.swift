import CTapestryShims
import Foundation
import SwitchCore

/// A vhost-user port as a `PortBackend`: frames sent to it are copied into the guest's receive
/// queue of the sending thread (`VhostUserPort.transmit`), frames the guest transmits on queue pair k
/// are taken by datapath thread k mod the thread count.
///
/// Any thread may send to the guest (thread k into receive queue k mod the guest's queue count), so
/// `send` holds that queue's lock (`VhostUserSendLane`: threads sharing a queue share it; threads on
/// different queues do not wait for each other) and publishes what it gave before it lets go: between
/// batches nothing is left unpublished, so the queues can be replaced while the threads are stopped.
/// The guest's transmit queues are not polled through `FrameSource` (`queueCount` is 0): each thread
/// watches the kick eventfds of its queues and serves them itself (see `DatapathWorker.receiveVhost`).
public final class VhostUserBackend: PortBackend, @unchecked Sendable {
    public let port: VhostUserPort
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]

    public init(port: VhostUserPort) { self.port = port }

    public var queueCount: Int { 0 }
    public func receiveFD(queue: Int) -> Int32 { -1 }
    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int { 0 }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        guard let qs = port.queues, !qs.receive.isEmpty else {
            for _ in 0..<count { counters.dropped(.guestNotReady) }
            return
        }
        let k = context.queue % qs.receive.count
        let q = qs.receive[k], lane = port.lanes[k]
        lane.lock.lock(); defer { lane.lock.unlock() }
        let packets = counters.sentPackets, bytes = counters.sentBytes
        // The guest's buffers for the batch are fetched owned together, before the first copy into them
        // (a hint sized by the first frame; `transmit` takes and checks each chain itself).
        if count > 0 { q.prefetch(max: count, bytes: qs.headerLength + Int(frames[0].len), write: true) }
        for i in 0..<count {
            let s = frames[i]
            guard let vnet = s.vnet else { counters.dropped(.txError); continue }
            let frame = UnsafeRawBufferPointer(start: s.frame, count: Int(s.len))
            port.transmit(vnet: UnsafeRawPointer(vnet), frame: frame, edit: EgressEdit(shim: s.edit, tci: s.tci),
                          into: q, lane: lane, of: qs, counters: counters)
        }
        port.flush(q, lane)
        // The receive queue's pair gets what this batch added to the port's counters (once per batch).
        port.queueCounters.lane(context.queue).sent(pair: q.index >> 1, packets: Int(truncatingIfNeeded: counters.sentPackets &- packets),
                                                    bytes: Int(truncatingIfNeeded: counters.sentBytes &- bytes))
    }
}
