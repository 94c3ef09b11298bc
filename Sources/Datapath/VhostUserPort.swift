import CTapestryShims
import SwitchCore
import VhostUser

/// The datapath side of a vhost-user port: the queues the guest's front-end set up (replaced only
/// while the datapath threads are stopped, through `Datapath.perform`), and the frame copies in and out of guest memory.
/// Guest → switch: frames are copied out of the transmit queue into the datapath's own buffers (the
/// guest cannot change them under the switch). Switch → guest: frames are copied into the receive
/// queue with the tag edit applied on the way; an unfinished checksum or a TCP super-frame the guest
/// did not agree to take is finished in software first. Used entries are published once per batch.
/// Each receive queue has its own `VhostUserSendLane` (lock, scratch memory): threads sending into
/// different queues of one guest do not wait for each other.
public final class VhostUserPort: @unchecked Sendable {
    /// The queues served now (replaced only while every datapath thread is stopped, through `Datapath.perform`).
    public var queues: VhostUserQueues? {
        didSet {
            let wanted = max(queues?.receive.count ?? 0, 1)
            if lanes.count < wanted { lanes += (lanes.count..<wanted).map { _ in VhostUserSendLane() } }
        }
    }
    /// One per receive queue (at least one; kept when the guest uses fewer queues again).
    private(set) var lanes = [VhostUserSendLane()]
    /// Frames and bytes per queue pair, one lane per datapath thread (for `show`, `stats`, metrics).
    public let queueCounters: VhostUserQueueCounters

    /// `threads`: the datapath's thread count (one counter lane each).
    public init(threads: Int = 1) {
        queueCounters = VhostUserQueueCounters(lanes: threads, queuePairs: VhostUserFeatures.maxQueuePairs)
    }

    /// The drop reason a refused descriptor chain is counted under.
    static func reason(_ f: VirtqueueFault) -> DropReason {
        switch f {
        case .badIndex: .guestBadIndex
        case .badAddress: .guestBadAddress
        case .loop: .guestDescriptorLoop
        case .oversize: .guestOversize
        case .badDescriptor: .guestBadDescriptor
        }
    }

    /// Clears header bits the guest may not use (offloads it did not negotiate).
    @inline(__always)
    func sanitize(_ vnet: UnsafeMutableRawPointer, _ qs: VhostUserQueues) {
        if !qs.hostChecksum { vnet.storeBytes(of: UInt8(0), as: UInt8.self) }
        if !qs.hostTSO { vnet.storeBytes(of: UInt8(0), toByteOffset: 1, as: UInt8.self) }
    }

    /// Gives one frame to the guest on receive queue `queue` mod the guest's count (the sending
    /// datapath thread's index: the threads spread over the guest's queues); counts it on `counters`.
    func transmit(vnet: UnsafeRawPointer, frame: UnsafeRawBufferPointer, edit: EgressEdit, queue: Int, counters: CounterLane) {
        guard let qs = queues, !qs.receive.isEmpty else {
            counters.dropped(.guestNotReady)
            return
        }
        let k = queue % qs.receive.count
        let lane = lanes[k]
        lane.lock.lock(); defer { lane.lock.unlock() }
        transmit(vnet: vnet, frame: frame, edit: edit, into: qs.receive[k], lane: lane, of: qs, counters: counters)
        flush(qs.receive[k], lane)
    }

    /// `transmit` with the queue and its lane already chosen (the lane's lock held): a batch looks
    /// its queues up once, not once per frame (each lookup retained and released the queues and the virtqueue).
    @inline(__always)
    func transmit(vnet: UnsafeRawPointer, frame: UnsafeRawBufferPointer, edit: EgressEdit, into q: SplitVirtqueue,
                  lane: VhostUserSendLane, of qs: VhostUserQueues, counters: CounterLane) {
        let header = lane.header, tag = lane.tag
        guard let base = frame.baseAddress else { counters.dropped(.guestNotReady); return }
        let flags = vnet.load(as: UInt8.self)
        let gsoType = vnet.load(fromByteOffset: 1, as: UInt8.self) & 0x7F
        let needsChecksum = flags & VirtioNetHeader.needsChecksum != 0
        let tsoOK = (gsoType == 1 && qs.guestTSO4) || (gsoType == 4 && qs.guestTSO6)
        if (gsoType != 0 && !tsoOK) || (needsChecksum && !qs.guestChecksum) {
            transmitFinished(q, lane, qs, vnet: vnet, frame: frame, edit: edit, counters: counters)
            return
        }
        let len = frame.count
        var pieces = FramePieces(base, len)
        var delta = 0
        if len >= 12 {
            switch edit {
            case .none: break
            case .push(let tci):
                storeTag(tci, tag)
                pieces = FramePieces(base, 12, UnsafeRawPointer(tag), 4, base + 12, len - 12)
                delta = 4
            case .pop where len >= 16:
                pieces = FramePieces(base, 12, base + 16, len - 16)
                delta = -4
            case .retag(let tci) where len >= 16:
                storeTag(tci, tag)
                pieces = FramePieces(base, 12, UnsafeRawPointer(tag), 4, base + 16, len - 16)
            default: break
            }
        }
        // The header goes to the guest as it is unless a pushed or popped tag moves the checksum start:
        // only then is it copied (to the lane's scratch header) and edited.
        var out = vnet
        if delta != 0 {
            header.copyMemory(from: vnet, byteCount: VirtioNetTransfer.baseHeaderLength)
            VirtioNetHeader.shiftChecksumStart(header, by: delta)
            out = UnsafeRawPointer(header)
        }
        give(q, lane, qs, vnet: out, pieces: pieces, counters: counters)
    }

    @inline(__always)
    private func give(_ q: SplitVirtqueue, _ lane: VhostUserSendLane, _ qs: VhostUserQueues, vnet: UnsafeRawPointer,
                      pieces: FramePieces, counters: CounterLane) {
        switch VirtioNetTransfer.send(to: q, headerLength: qs.headerLength, mergeable: qs.mergeable,
                                      vnet: vnet, pieces: pieces) {
        case .sent:
            counters.sent(bytes: pieces.totalLength)
            lane.dirty.pointee = true
        case .noBuffers: counters.dropped(.guestNoBuffers)
        case .tooBig: counters.dropped(.tooBig)
        case .fault(let f):
            counters.dropped(VhostUserPort.reason(f))
            lane.dirty.pointee = true
        }
    }

    /// The slow path: the frame (tag edit applied) in scratch memory, its checksum completed or
    /// its TCP payload segmented, then given to the guest.
    private func transmitFinished(_ q: SplitVirtqueue, _ lane: VhostUserSendLane, _ qs: VhostUserQueues, vnet: UnsafeRawPointer,
                                  frame: UnsafeRawBufferPointer, edit: EgressEdit, counters: CounterLane) {
        guard let src = frame.baseAddress, frame.count <= 65536 + 16 else { counters.dropped(.tooBig); return }
        let scratch = lane.scratch, header = lane.header, tag = lane.tag
        let f = scratch
        var len = frame.count
        var delta = 0
        switch edit {
        case .push(let tci) where len >= 12:
            f.copyMemory(from: src, byteCount: 12); storeTag(tci, tag); (f + 12).copyMemory(from: tag, byteCount: 4)
            (f + 16).copyMemory(from: src + 12, byteCount: len - 12); len += 4; delta = 4
        case .pop where len >= 16:
            f.copyMemory(from: src, byteCount: 12); (f + 12).copyMemory(from: src + 16, byteCount: len - 16); len -= 4; delta = -4
        case .retag(let tci) where len >= 16:
            f.copyMemory(from: src, byteCount: 12); storeTag(tci, tag); (f + 12).copyMemory(from: tag, byteCount: 4)
            (f + 16).copyMemory(from: src + 16, byteCount: len - 16)
        default:
            f.copyMemory(from: src, byteCount: len)
        }
        let gsoType = vnet.load(fromByteOffset: 1, as: UInt8.self) & 0x7F
        let gsoSize = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        let csumStart = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 6, as: UInt16.self))) + delta
        let csumOffset = Int(UInt16(littleEndian: vnet.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        header.initializeMemory(as: UInt8.self, repeating: 0, count: VirtioNetTransfer.baseHeaderLength)
        if gsoType != 0 {
            let out = scratch + 65536 + 64
            guard gsoType == 1 || gsoType == 4, let seg = TCPSegmenter.segment(
                f, len, mss: gsoSize, prefix: 0, into: out, capacity: VhostUserSendLane.scratchSize - 65536 - 64) else {
                counters.dropped(.unsupportedOffload)
                return
            }
            for i in 0..<seg.count {
                let size = i == seg.count - 1 ? seg.total - i * seg.stride : seg.stride
                give(q, lane, qs, vnet: UnsafeRawPointer(header), pieces: FramePieces(UnsafeRawPointer(out + i * seg.stride), size),
                     counters: counters)
            }
            return
        }
        guard TCPSegmenter.completeChecksum(f, len, start: csumStart, offset: csumOffset) else {
            counters.dropped(.unsupportedOffload)
            return
        }
        give(q, lane, qs, vnet: UnsafeRawPointer(header), pieces: FramePieces(UnsafeRawPointer(f), len), counters: counters)
    }

    @inline(__always)
    private func storeTag(_ tci: UInt16, _ tag: UnsafeMutableRawPointer) {
        tag.storeBytes(of: UInt8(0x81), as: UInt8.self)
        tag.storeBytes(of: UInt8(0x00), toByteOffset: 1, as: UInt8.self)
        tag.storeBytes(of: UInt8(tci >> 8), toByteOffset: 2, as: UInt8.self)
        tag.storeBytes(of: UInt8(tci & 0xFF), toByteOffset: 3, as: UInt8.self)
    }

    /// Shows the guest what was given to receive queue `q` (of `lane`, its lock held) since the last
    /// flush, signalling it if it asked to be.
    @inline(__always)
    func flush(_ q: SplitVirtqueue, _ lane: VhostUserSendLane) {
        guard lane.dirty.pointee else { return }
        q.publishAndSignal()
        lane.dirty.pointee = false
    }
}
