import CTapestryShims

/// Why a descriptor chain (or the whole ring) was refused. Each is counted on the queue and the
/// port; the guest's buffer goes back to it when its head index was valid.
public enum VirtqueueFault: Int, CaseIterable, Sendable {
    /// avail.idx ran more than the ring size ahead, or a head/next index is outside the table.
    case badIndex = 0
    /// A buffer address range that is not inside one shared memory region.
    case badAddress
    /// More descriptors in a chain than the table holds (a loop), or more segments than accepted.
    case loop
    /// A chain longer in bytes than a frame may be.
    case oversize
    /// A device-writable buffer where a readable one must be (or the reverse), or an indirect table.
    case badDescriptor
}

/// A split virtqueue (virtio 1.x, 2.7) served by the device side, over guest memory that may change
/// under it at any time: every index, length and address read from the ring is read once, checked,
/// and then used; a chain is walked at most `size` steps. Not thread-safe: one thread drives it.
public final class SplitVirtqueue: @unchecked Sendable {
    public static let maxSize = 32768
    /// The most segments a chain may have (Linux sends at most MAX_SKB_FRAGS + 2).
    public static let maxSegments = 64
    static let descNext: UInt16 = 1, descWrite: UInt16 = 2, descIndirect: UInt16 = 4

    public let index: Int
    public let size: Int
    let mask: UInt16
    let desc: UnsafeMutableRawPointer
    let avail: UnsafeMutableRawPointer
    let used: UnsafeMutableRawPointer
    public let memory: GuestMemory
    public let eventIdx: Bool
    /// The eventfd the guest kicks (-1: none; the queue is polled). Owned by the session.
    public let kickFD: Int32
    /// The eventfd to signal the guest through (-1: none). Owned by the session.
    public let callFD: Int32

    /// The ring indexes and fault counts this side keeps (`SplitVirtqueue.Cursor`), in memory the
    /// queue owns: read and written through a pointer, so the hot path pays no exclusivity checks
    /// or reference counting for them (the queue is driven by one thread).
    let state: UnsafeMutablePointer<Cursor>

    /// The device side's place in the rings.
    struct Cursor {
        /// The next avail entry to take.
        var lastAvail: UInt16
        /// The avail.idx last read from the ring (read again only when every chain up to it is
        /// taken: the guest's CPU writes that cache line, each read of it may miss).
        var availSeen: UInt16
        /// The next used entry to fill.
        var usedIdx: UInt16
        /// The used.idx the guest was last shown.
        var usedPublished: UInt16
        /// avail.idx ran ahead of the ring size: nothing more is taken until reset.
        var broken: Bool
        /// The guest was last asked not to kick (`disableKicks`): asking again writes nothing.
        var kicksOff: Bool
        /// How often each `VirtqueueFault` happened.
        var faults: (UInt64, UInt64, UInt64, UInt64, UInt64)
    }

    /// The next avail entry to take.
    public var lastAvail: UInt16 { state.pointee.lastAvail }
    /// The next used entry to fill.
    public var usedIdx: UInt16 { state.pointee.usedIdx }
    /// A ring whose avail.idx ran ahead of its size: nothing more is taken from it until reset.
    public var broken: Bool { state.pointee.broken }

    /// The segments of the last chain `pop` returned (host pointer, length).
    public let segments: UnsafeMutablePointer<(UnsafeMutableRawPointer, Int)>

    /// Lays the queue over the rings at the front-end user addresses of `address`; refuses a size
    /// that is not a power of two up to 32768, misaligned rings, and rings outside the memory.
    public init(index: Int, size: Int, address: VringAddress, memory: GuestMemory, base: UInt16, eventIdx: Bool,
                kickFD: Int32 = -1, callFD: Int32 = -1) throws(VhostUserError) {
        guard size >= 1, size <= SplitVirtqueue.maxSize, size & (size - 1) == 0 else {
            throw VhostUserError("vring \(index): size \(size) is not a power of two in 1-32768")
        }
        guard address.desc % 16 == 0, address.avail % 2 == 0, address.used % 4 == 0 else {
            throw VhostUserError("vring \(index): misaligned ring addresses")
        }
        guard let d = memory.translate(user: address.desc, length: UInt64(16 * size)),
              let a = memory.translate(user: address.avail, length: UInt64(6 + 2 * size)),
              let u = memory.translate(user: address.used, length: UInt64(6 + 8 * size)) else {
            throw VhostUserError("vring \(index): ring addresses outside the shared memory")
        }
        self.index = index; self.size = size; mask = UInt16(size - 1)
        desc = d; avail = a; used = u
        self.memory = memory; self.eventIdx = eventIdx; self.kickFD = kickFD; self.callFD = callFD
        let usedIdx = tp_load_acquire_u16(u + 2)
        // A front-end that reconnects may give base 0 for a ring it used before (DPDK's virtio-user
        // does): what the guest has seen come back is the truth then, as DPDK's own back-end decides.
        state = .allocate(capacity: 1)
        let start = base == usedIdx ? base : usedIdx
        state.initialize(to: Cursor(lastAvail: start, availSeen: start, usedIdx: usedIdx,
                                    usedPublished: usedIdx, broken: false, kicksOff: false,
                                    faults: (0, 0, 0, 0, 0)))
        segments = .allocate(capacity: SplitVirtqueue.maxSegments)
    }

    deinit { state.deinitialize(count: 1); state.deallocate(); segments.deallocate() }

    /// How often each fault happened on this queue.
    public func faults(_ f: VirtqueueFault) -> UInt64 {
        let c = state.pointee.faults
        switch f {
        case .badIndex: return c.0
        case .badAddress: return c.1
        case .loop: return c.2
        case .oversize: return c.3
        case .badDescriptor: return c.4
        }
    }

    func count(_ f: VirtqueueFault) {
        switch f {
        case .badIndex: state.pointee.faults.0 &+= 1
        case .badAddress: state.pointee.faults.1 &+= 1
        case .loop: state.pointee.faults.2 &+= 1
        case .oversize: state.pointee.faults.3 &+= 1
        case .badDescriptor: state.pointee.faults.4 &+= 1
        }
    }

    /// Chains the guest has made available and not yet taken (at least: avail.idx is read again
    /// only once all chains up to the value last read are taken). A ring claiming more than its
    /// size is marked broken (counted once) and gives 0 from then on.
    @inline(__always)
    public func pending() -> Int {
        if state.pointee.broken { return 0 }
        var n = Int(state.pointee.availSeen &- state.pointee.lastAvail)
        if n == 0 {
            let idx = tp_load_acquire_u16(avail + 2)
            state.pointee.availSeen = idx
            n = Int(idx &- state.pointee.lastAvail)
        }
        if n > size { state.pointee.broken = true; count(.badIndex); return 0 }
        return n
    }

    /// The most chains `prefetch` looks ahead at.
    public static let prefetchLimit = 64

    /// Starts loading, for up to `max` of the next available chains (`pending()`: avail.idx read at
    /// most once), their descriptors and the first `bytes` (at most 128) of each chain's first buffer
    /// (`write`: owned, for a receive queue the device is about to fill). Only a hint: nothing is
    /// taken, no state changes, and `pop` reads and checks everything again. Guest values only choose
    /// which lines are fetched: a head outside the table or a buffer not inside one region is skipped,
    /// so no address outside the shared memory is formed. Without it each chain's avail entry,
    /// descriptor and buffer are misses that wait for each other (lines the guest's CPU wrote);
    /// here the misses of a whole batch are in flight together. Returns how many chains it covered.
    @discardableResult
    public func prefetch(max: Int, bytes: Int, write: Bool) -> Int {
        let n = Swift.min(pending(), max, SplitVirtqueue.prefetchLimit)
        guard n > 0 else { return 0 }
        let start = state.pointee.lastAvail
        // Heads first (one line holds 32), each descriptor's line requested without waiting for it.
        for i in 0..<n {
            let head = Int(availEntry(start &+ UInt16(truncatingIfNeeded: i)))
            if head < size { tp_prefetch(desc + 16 &* head) }
        }
        // Then the buffers: these loads are independent of each other, so their misses overlap. The
        // span is at most 128 bytes, so at most three lines: its first byte, 64 bytes on, its last byte.
        let span = UInt32(truncatingIfNeeded: Swift.max(1, Swift.min(bytes, 128)))
        for i in 0..<n {
            let head = Int(availEntry(start &+ UInt16(truncatingIfNeeded: i)))
            guard head < size else { continue }
            let d = desc + 16 &* head
            let addr = d.loadUnaligned(as: UInt64.self).littleEndian
            let len = Swift.min(d.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian, span)
            guard len > 0, let p = memory.translate(guest: addr, length: UInt64(len)) else { continue }
            let last = Int(len) &- 1
            if write {
                tp_prefetch_write(p)
                if last >= 64 { tp_prefetch_write(p + 64) }
                tp_prefetch_write(p + last)
            } else {
                tp_prefetch(p)
                if last >= 64 { tp_prefetch(p + 64) }
                tp_prefetch(p + last)
            }
        }
        return n
    }

    /// What `pop` found.
    public enum Chain: Equatable {
        /// Nothing available.
        case empty
        /// A chain: head index, segments (in `segments`), total bytes.
        case chain(head: UInt16, count: Int, bytes: Int)
        /// A refused chain (counted; its buffer already returned to the guest when possible).
        case fault(VirtqueueFault)
    }

    /// Takes the next available chain, checking every descriptor: indexes inside the table, at most
    /// `size` descriptors (no loops) and `maxSegments` non-empty ones, every buffer inside one region,
    /// all writable (`writable`) or all readable, no indirect tables, at most `maxBytes` in total.
    public func pop(writable: Bool, maxBytes: Int) -> Chain {
        guard pending() > 0 else { return .empty }
        let taken = state.pointee.lastAvail
        let head = availEntry(taken)
        state.pointee.lastAvail = taken &+ 1
        guard Int(head) < size else { count(.badIndex); return .fault(.badIndex) }
        let wanted: UInt16 = writable ? SplitVirtqueue.descWrite : 0
        // A chain of one descriptor (small frames either way): the same checks as the walk below,
        // without its bookkeeping.
        let first = desc + 16 * Int(head)
        let firstFlags = first.loadUnaligned(fromByteOffset: 12, as: UInt16.self).littleEndian
        if firstFlags & (SplitVirtqueue.descNext | SplitVirtqueue.descIndirect | SplitVirtqueue.descWrite) == wanted {
            let addr = first.loadUnaligned(as: UInt64.self).littleEndian
            let len = Int(first.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
            guard len > 0 else { return .chain(head: head, count: 0, bytes: 0) }
            guard len <= maxBytes else { return refuse(head, .oversize) }
            guard let p = memory.translate(guest: addr, length: UInt64(len)) else { return refuse(head, .badAddress) }
            segments[0] = (p, len)
            return .chain(head: head, count: 1, bytes: len)
        }
        var i = Int(head), steps = 0, segs = 0, total = 0
        while true {
            steps += 1
            if steps > size { return refuse(head, .loop) }
            let d = desc + 16 * i
            let addr = d.loadUnaligned(as: UInt64.self).littleEndian
            let len = Int(d.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
            let flags = d.loadUnaligned(fromByteOffset: 12, as: UInt16.self).littleEndian
            let next = d.loadUnaligned(fromByteOffset: 14, as: UInt16.self).littleEndian
            if flags & SplitVirtqueue.descIndirect != 0 || flags & SplitVirtqueue.descWrite != wanted {
                return refuse(head, .badDescriptor)
            }
            if len > 0 {
                guard segs < SplitVirtqueue.maxSegments else { return refuse(head, .loop) }
                total += len
                guard total <= maxBytes else { return refuse(head, .oversize) }
                guard let p = memory.translate(guest: addr, length: UInt64(len)) else { return refuse(head, .badAddress) }
                segments[segs] = (p, len)
                segs += 1
            }
            if flags & SplitVirtqueue.descNext == 0 { break }
            guard Int(next) < size else { return refuse(head, .badIndex) }
            i = Int(next)
        }
        return .chain(head: head, count: segs, bytes: total)
    }

    /// Counts `fault` and hands the chain back to the guest unused.
    /// The avail ring's entry for running index `index` (the head the guest put there; unchecked).
    @inline(__always)
    private func availEntry(_ index: UInt16) -> UInt16 {
        (avail + 4 + 2 * Int(index & mask)).loadUnaligned(as: UInt16.self).littleEndian
    }

    private func refuse(_ head: UInt16, _ fault: VirtqueueFault) -> Chain {
        count(fault)
        addUsed(head: head, length: 0)
        return .fault(fault)
    }

    /// Returns a chain to the guest with `length` bytes written (shown at the next `publish`).
    @inline(__always)
    public func addUsed(head: UInt16, length: Int) {
        let idx = state.pointee.usedIdx
        let e = used + 4 + 8 * Int(idx & mask)
        e.storeBytes(of: UInt32(head).littleEndian, as: UInt32.self)
        e.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: 4, as: UInt32.self)
        state.pointee.usedIdx = idx &+ 1
    }

    /// A point to go back to when a multi-buffer frame does not fit.
    public var mark: (UInt16, UInt16) { (state.pointee.lastAvail, state.pointee.usedIdx) }

    /// Forgets chains taken and used entries written since `mark` (none of them was published).
    public func rewind(to mark: (UInt16, UInt16)) { state.pointee.lastAvail = mark.0; state.pointee.usedIdx = mark.1 }

    /// Shows the guest the used entries added since the last call; whether it wants to be
    /// signalled (event index or the NO_INTERRUPT flag).
    @discardableResult
    public func publish() -> Bool {
        let usedIdx = state.pointee.usedIdx, old = state.pointee.usedPublished
        guard usedIdx != old else { return false }
        tp_store_release_u16(used + 2, usedIdx)
        state.pointee.usedPublished = usedIdx
        tp_fence_seq_cst()
        if eventIdx {
            let event = (avail + 4 + 2 * size).loadUnaligned(as: UInt16.self).littleEndian
            return usedIdx &- event &- 1 < usedIdx &- old
        }
        return (avail.loadUnaligned(as: UInt16.self).littleEndian & 1) == 0
    }

    /// Publishes and signals the call eventfd when the guest wants it. Returns whether it signalled.
    @discardableResult
    public func publishAndSignal() -> Bool {
        guard publish(), callFD >= 0 else { return false }
        _ = tp_eventfd_signal(callFD)
        return true
    }

    /// Asks the guest to kick on its next buffer (event index: avail_event = lastAvail; else used.flags = 0).
    /// The caller then checks `pending()` again: a buffer may have come just before.
    public func enableKicks() {
        state.pointee.kicksOff = false
        if eventIdx {
            (used + 4 + 8 * size).storeBytes(of: state.pointee.lastAvail.littleEndian, as: UInt16.self)
        } else {
            used.storeBytes(of: UInt16(0), as: UInt16.self)
        }
        tp_fence_seq_cst()
    }

    /// Asks the guest not to kick (the queue is being polled). Once asked, asking again writes nothing:
    /// the line the request is in is one the guest reads before each kick, a store to it each batch
    /// would take it from the guest's CPU. (With the event index the guest's avail.idx is already past
    /// the avail_event written; it kicks once more only after 65536 further chains, harmlessly.)
    public func disableKicks() {
        if state.pointee.kicksOff { return }
        state.pointee.kicksOff = true
        if eventIdx {
            (used + 4 + 8 * size).storeBytes(of: (state.pointee.lastAvail &- 1).littleEndian, as: UInt16.self)
        } else {
            used.storeBytes(of: UInt16(1).littleEndian, as: UInt16.self)
        }
    }
}
