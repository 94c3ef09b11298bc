import CSwitchSync
import TapestryModel

/// The storage and algorithms of `MACLearningTable`: raw buffers, no reference counting or
/// copy-on-write in the hot path. Owned and freed by the table.
///
/// Lock-free readers go through `view` (see MACTableView: which words they read and how a writer
/// stores them). Everything else here — the per-port LRU lists, the free list, the counters — is
/// the writers' alone: read and written only with the table's lock held.
struct MACTableCore {
    typealias PortID = UInt32
    typealias Bucket = MACTableView.Bucket

    /// One entry. `value` and `lastSeen` come first (offsets 0 and 8, checked in `init`): readers
    /// load them atomically, writers store them only through `view`. The rest is the writers'.
    struct Slot {
        /// port << 32 | remote: one word, so a move changes both at once.
        var value: UInt64
        /// Milliseconds; `MACTableCore.staticStamp` for a static entry.
        var lastSeen: Int64
        var key: UInt64
        var prev: Int32
        var next: Int32
        var inUse: Bool

        var port: PortID { PortID(truncatingIfNeeded: value >> 32) }
        var remote: UInt32 { UInt32(truncatingIfNeeded: value) }
        var isStatic: Bool { lastSeen == MACTableCore.staticStamp }
    }

    struct PortList {
        var head: Int32 = -1
        var tail: Int32 = -1
        var count: Int = 0
        var limit: Int = 0
    }

    /// The stamp of static entries (never aged, never moved by learning).
    static let staticStamp = Int64.min

    @inline(__always)
    static func pack(_ port: PortID, _ remote: UInt32) -> UInt64 { UInt64(port) << 32 | UInt64(remote) }

    /// What readers use; shared with the table, which hands it to lock-free lookups.
    let view: UnsafeMutablePointer<MACTableView>
    private(set) var capacity: Int
    var agingMillis: Int64
    var defaultPortLimit = 0
    var events: MACEventLog?

    private var slotCapacity: Int
    private var slotsUsedHigh: Int32 = 0     // slots [0, high) have been handed out
    private var freeHead: Int32 = -1         // free list through Slot.next
    private var ports: UnsafeMutablePointer<PortList>
    private var portCapacity: Int

    private(set) var learnedCount = 0
    private(set) var staticCount = 0
    private(set) var learnedTotal: UInt64 = 0
    private(set) var movedTotal: UInt64 = 0
    private(set) var agedTotal: UInt64 = 0
    private(set) var evictedTotal: UInt64 = 0

    static let staticReserve = 256

    private var buckets: UnsafeMutablePointer<Bucket> { view.pointee.buckets }
    private var bucketMask: Int { view.pointee.bucketMask }
    private var slots: UnsafeMutablePointer<Slot> { view.pointee.slots }

    init(capacity: Int, agingMillis: Int64) {
        precondition(MemoryLayout<Slot>.offset(of: \Slot.value) == 0 && MemoryLayout<Slot>.offset(of: \Slot.lastSeen) == 8,
                     "MACTableCore.Slot: readers expect value at offset 0 and lastSeen at 8")
        precondition(MemoryLayout<Bucket>.offset(of: \Bucket.key) == 0 && MemoryLayout<Bucket>.offset(of: \Bucket.slot) == 8,
                     "MACTableView.Bucket: readers expect key at offset 0 and slot at 8")
        self.capacity = capacity
        self.agingMillis = agingMillis
        slotCapacity = capacity + MACTableCore.staticReserve
        let slots = MACTableCore.allocateSlots(slotCapacity)
        let (b, shift) = MACTableCore.bucketsFor(slotCapacity)
        let buckets = UnsafeMutablePointer<Bucket>.allocate(capacity: b)
        buckets.initialize(repeating: Bucket(key: 0, slot: 0), count: b)
        let removals = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        removals.initializeMemory(as: UInt64.self, repeating: 0, count: 8)
        removals.storeBytes(of: 1, toByteOffset: 8, as: UInt64.self)  // refreshMillis
        // The view on a cache line of its own: nothing a writer changes per entry (the port lists,
        // the counters) shares the line every lookup reads.
        view = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64).bindMemory(to: MACTableView.self, capacity: 1)
        view.initialize(to: MACTableView(buckets: buckets, bucketShift: shift, bucketMask: b - 1, slots: slots, removals: removals))
        portCapacity = 64
        ports = .allocate(capacity: portCapacity)
        ports.initialize(repeating: PortList(), count: portCapacity)
    }

    func deallocate() {
        buckets.deallocate(); slots.deallocate(); ports.deallocate()
        view.pointee.removals.deallocate()
        view.deinitialize(count: 1)
        view.deallocate()
    }

    /// Slot storage, all of it initialized (a racing reader may read a slot that was never handed out).
    private static func allocateSlots(_ n: Int) -> UnsafeMutablePointer<Slot> {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: n)
        p.initialize(repeating: Slot(value: 0, lastSeen: 0, key: 0, prev: -1, next: -1, inUse: false), count: n)
        return p
    }

    /// At least twice as many buckets as entries (load ≤ 0.5), a power of two.
    static func bucketsFor(_ entries: Int) -> (Int, UInt64) {
        var n = 16, bits: UInt64 = 4
        while n < entries * 2 { n <<= 1; bits += 1 }
        return (n, 64 - bits)
    }

    @inline(__always)
    static func key(_ mac: MACAddress, _ vlan: UInt16) -> UInt64 { UInt64(vlan) << 48 | mac.rawValue }

    /// The bucket holding `key`, or -1 (writers).
    private func bucket(of key: UInt64) -> Int {
        let v = view.pointee
        var i = v.home(key)
        while true {
            let k = v.buckets[i].key
            if k == key { return i }
            if k == 0 { return -1 }
            i = (i + 1) & v.bucketMask
        }
    }

    private func insertBucket(_ key: UInt64, _ slot: Int32) {
        let v = view.pointee
        var i = v.home(key)
        while v.buckets[i].key != 0 { i = (i + 1) & v.bucketMask }
        v.storeBucket(i, key: key, slot: slot)
    }

    /// Backward-shift deletion keeps probe chains intact without tombstones; readers overlapping
    /// it retry (the removal sequence lock).
    private func removeBucket(_ at: Int) {
        let v = view.pointee
        v.beginRemoval()
        var i = at
        var j = at
        while true {
            j = (j + 1) & v.bucketMask
            let k = v.buckets[j].key
            if k == 0 { break }
            let h = v.home(k)
            // Move j back to i when its home is not in the cyclic range (i, j].
            let inRange = i <= j ? (h > i && h <= j) : (h > i || h <= j)
            if !inRange {
                v.storeBucket(i, key: k, slot: v.buckets[j].slot)
                i = j
            }
        }
        v.clearBucket(i)
        v.endRemoval()
    }

    // MARK: - learning

    /// Learning proper (the table's lock held).
    mutating func learnLocked(_ key: UInt64, port: PortID, remote: UInt32, now: Int64) -> MACLearningTable.LearnOutcome {
        let v = view.pointee
        let packed = MACTableCore.pack(port, remote)
        let b = bucket(of: key)
        if b >= 0 {
            let s = buckets[b].slot
            let slot = slots + Int(s)
            if slot.pointee.isStatic { return .staticEntry }
            let old = slot.pointee.port
            // Threads' clocks may differ by a millisecond: an entry's time never goes back.
            let seen = max(now, slot.pointee.lastSeen)
            if old == port {
                // Seen again within `refreshMillis`: nothing changes (another thread refreshed it
                // first; its place in its port's LRU list is right for that time).
                if now &- slot.pointee.lastSeen < v.refreshMillis && slot.pointee.value == packed { return .refreshed }
                if slot.pointee.value != packed {
                    v.storeValue(s, packed)
                    movedTotal &+= 1
                }
                v.storeStamp(s, seen)
                if ports[Int(port)].tail != s { unlink(s, from: port); append(s, to: port) }
                return .refreshed
            }
            unlink(s, from: old)
            ensurePort(port)
            // The new port's own limit holds for moved entries too: it gives up its oldest.
            let moveLimit = ports[Int(port)].limit > 0 ? ports[Int(port)].limit : defaultPortLimit
            if moveLimit > 0 && ports[Int(port)].count >= moveLimit {
                removeSlot(ports[Int(port)].head); evictedTotal &+= 1
            }
            v.storeValue(s, packed)
            v.storeStamp(s, seen)
            append(s, to: port)
            movedTotal &+= 1
            events?.record(.moved, mac: MACAddress(rawValue: key), vlan: UInt16(key >> 48), port: port, time: now)
            return .moved(from: old)
        }
        ensurePort(port)
        var outcome = MACLearningTable.LearnOutcome.added
        let limit = ports[Int(port)].limit > 0 ? ports[Int(port)].limit : defaultPortLimit
        if limit > 0 && ports[Int(port)].count >= limit {
            removeSlot(ports[Int(port)].head); evictedTotal &+= 1
            outcome = .evicted(port: port)
        } else if learnedCount >= capacity {
            let victim = largestPort()
            removeSlot(ports[Int(victim)].head); evictedTotal &+= 1
            outcome = .evicted(port: victim)
        }
        guard let s = allocateSlot(key: key, value: packed, stamp: now) else { return .ignored }
        insertBucket(key, s)
        append(s, to: port)
        learnedCount += 1
        learnedTotal &+= 1
        events?.record(.learned, mac: MACAddress(rawValue: key), vlan: UInt16(key >> 48), port: port, time: now)
        return outcome
    }

    mutating func expire(now: Int64) -> Int {
        var removed = 0
        for p in 0..<portCapacity {
            while ports[p].head >= 0, now - slots[Int(ports[p].head)].lastSeen >= agingMillis {
                if let events {
                    let slot = slots[Int(ports[p].head)]
                    events.record(.aged, mac: MACAddress(rawValue: slot.key), vlan: UInt16(slot.key >> 48), port: slot.port, time: now)
                }
                removeSlot(ports[p].head); agedTotal &+= 1
                removed += 1
            }
        }
        return removed
    }

    // MARK: - static entries

    mutating func addStatic(_ key: UInt64, port: PortID, remote: UInt32) {
        let b = bucket(of: key)
        if b >= 0 {
            let s = buckets[b].slot
            if slots[Int(s)].isStatic { view.pointee.storeValue(s, MACTableCore.pack(port, remote)); return }
            removeSlot(s)
        }
        if freeHead < 0 && Int(slotsUsedHigh) >= slotCapacity { grow() }
        guard let s = allocateSlot(key: key, value: MACTableCore.pack(port, remote), stamp: MACTableCore.staticStamp) else { return }
        insertBucket(key, s)
        staticCount += 1
    }

    mutating func removeStatic(_ key: UInt64) -> Bool {
        let b = bucket(of: key)
        guard b >= 0, slots[Int(buckets[b].slot)].isStatic else { return false }
        let s = buckets[b].slot
        removeBucket(b)
        freeSlot(s)
        staticCount -= 1
        return true
    }

    mutating func flush(port: PortID?, includingStatic: Bool) -> Int {
        var removed = 0
        for p in 0..<portCapacity where port == nil || PortID(p) == port {
            while ports[p].head >= 0 { removeSlot(ports[p].head); removed += 1 }
        }
        if includingStatic {
            for s in 0..<Int(slotsUsedHigh) where slots[s].inUse && slots[s].isStatic && (port == nil || slots[s].port == port) {
                let b = bucket(of: slots[s].key)
                if b >= 0 { removeBucket(b) }
                freeSlot(Int32(s))
                staticCount -= 1
                removed += 1
            }
        }
        return removed
    }

    mutating func setLimit(_ limit: Int, for port: PortID) {
        ensurePort(port)
        let p = Int(port)
        ports[p].limit = limit
        while ports[p].limit > 0 && ports[p].count > ports[p].limit { removeSlot(ports[p].head); evictedTotal &+= 1 }
    }

    mutating func resize(capacity newCapacity: Int) {
        capacity = newCapacity
        while learnedCount > capacity { removeSlot(ports[Int(largestPort())].head); evictedTotal &+= 1 }
        while slotCapacity < capacity + staticCount + MACTableCore.staticReserve / 2 { grow() }
    }

    func allSlots() -> [Slot] { (0..<Int(slotsUsedHigh)).compactMap { slots[$0].inUse ? slots[$0] : nil } }

    func count(of port: PortID) -> Int { Int(port) < portCapacity ? ports[Int(port)].count : 0 }

    // MARK: - storage

    /// Doubles slots and buckets. Control path only (static entries beyond the reserve, a larger
    /// cap), while no other thread uses the table: the old arrays are freed at once.
    private mutating func grow() {
        let newCapacity = slotCapacity * 2
        let newSlots = MACTableCore.allocateSlots(newCapacity)
        newSlots.update(from: slots, count: Int(slotsUsedHigh))
        slots.deallocate()
        view.pointee.slots = newSlots
        slotCapacity = newCapacity
        let (b, shift) = MACTableCore.bucketsFor(newCapacity)
        buckets.deallocate()
        let newBuckets = UnsafeMutablePointer<Bucket>.allocate(capacity: b)
        newBuckets.initialize(repeating: Bucket(key: 0, slot: 0), count: b)
        view.pointee.buckets = newBuckets
        view.pointee.bucketShift = shift
        view.pointee.bucketMask = b - 1
        for s in 0..<Int(slotsUsedHigh) where slots[s].inUse { insertBucket(slots[s].key, Int32(s)) }
    }

    private mutating func ensurePort(_ port: PortID) {
        guard Int(port) >= portCapacity else { return }
        var n = portCapacity
        while n <= Int(port) { n *= 2 }
        let grown = UnsafeMutablePointer<PortList>.allocate(capacity: n)
        grown.moveInitialize(from: ports, count: portCapacity)
        (grown + portCapacity).initialize(repeating: PortList(), count: n - portCapacity)
        ports.deallocate()
        ports = grown
        portCapacity = n
    }

    private func largestPort() -> PortID {
        var best = 0
        for p in 0..<portCapacity where ports[p].count > ports[best].count { best = p }
        return PortID(best)
    }

    /// Hands out a slot holding `key`, `value` and `stamp` (not yet in a bucket, so no reader finds it).
    private mutating func allocateSlot(key: UInt64, value: UInt64, stamp: Int64) -> Int32? {
        let s: Int32
        if freeHead >= 0 {
            s = freeHead
            freeHead = slots[Int(s)].next
        } else {
            guard Int(slotsUsedHigh) < slotCapacity else { return nil }
            s = slotsUsedHigh
            slotsUsedHigh += 1
        }
        let slot = slots + Int(s)
        slot.pointee.key = key
        slot.pointee.prev = -1
        slot.pointee.next = -1
        slot.pointee.inUse = true
        view.pointee.storeValue(s, value)
        view.pointee.storeStamp(s, stamp)
        return s
    }

    private mutating func freeSlot(_ s: Int32) {
        slots[Int(s)].inUse = false
        slots[Int(s)].next = freeHead
        freeHead = s
    }

    private mutating func removeSlot(_ s: Int32) {
        let slot = slots[Int(s)]
        unlink(s, from: slot.port)
        let b = bucket(of: slot.key)
        if b >= 0 { removeBucket(b) }
        freeSlot(s)
        learnedCount -= 1
    }

    @inline(__always)
    private mutating func append(_ s: Int32, to port: PortID) {
        let p = ports + Int(port)
        slots[Int(s)].prev = p.pointee.tail
        slots[Int(s)].next = -1
        if p.pointee.tail >= 0 { slots[Int(p.pointee.tail)].next = s } else { p.pointee.head = s }
        p.pointee.tail = s
        p.pointee.count += 1
    }

    @inline(__always)
    private mutating func unlink(_ s: Int32, from port: PortID) {
        let p = ports + Int(port)
        let prev = slots[Int(s)].prev, next = slots[Int(s)].next
        if prev >= 0 { slots[Int(prev)].next = next } else { p.pointee.head = next }
        if next >= 0 { slots[Int(next)].prev = prev } else { p.pointee.tail = prev }
        p.pointee.count -= 1
    }
}
