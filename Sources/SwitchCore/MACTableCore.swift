import TapestryModel

/// The storage and algorithms of `MACLearningTable`: raw buffers, no reference counting or
/// copy-on-write in the hot path. Owned and freed by the table.
struct MACTableCore {
    typealias PortID = UInt32

    struct Slot {
        var key: UInt64
        var port: PortID
        var remote: UInt32
        var lastSeen: Int64
        var prev: Int32
        var next: Int32
        var isStatic: Bool
        var inUse: Bool
    }

    struct PortList {
        var head: Int32 = -1
        var tail: Int32 = -1
        var count: Int = 0
        var limit: Int = 0
    }

    struct Bucket {
        var key: UInt64   // 0 = empty (VLAN 0 is never a key)
        var slot: Int32
    }

    private(set) var capacity: Int
    var agingMillis: Int64
    var defaultPortLimit = 0
    var events: MACEventLog?

    private var buckets: UnsafeMutablePointer<Bucket>
    private var bucketShift: UInt64
    private var bucketMask: Int
    private var slots: UnsafeMutablePointer<Slot>
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

    init(capacity: Int, agingMillis: Int64) {
        self.capacity = capacity
        self.agingMillis = agingMillis
        slotCapacity = capacity + MACTableCore.staticReserve
        slots = .allocate(capacity: slotCapacity)
        let (b, shift) = MACTableCore.bucketsFor(slotCapacity)
        buckets = .allocate(capacity: b)
        buckets.initialize(repeating: Bucket(key: 0, slot: -1), count: b)
        bucketShift = shift
        bucketMask = b - 1
        portCapacity = 64
        ports = .allocate(capacity: portCapacity)
        ports.initialize(repeating: PortList(), count: portCapacity)
    }

    func deallocate() {
        buckets.deallocate(); slots.deallocate(); ports.deallocate()
    }

    /// At least twice as many buckets as entries (load ≤ 0.5), a power of two.
    static func bucketsFor(_ entries: Int) -> (Int, UInt64) {
        var n = 16, bits: UInt64 = 4
        while n < entries * 2 { n <<= 1; bits += 1 }
        return (n, 64 - bits)
    }

    @inline(__always)
    static func key(_ mac: MACAddress, _ vlan: UInt16) -> UInt64 { UInt64(vlan) << 48 | mac.rawValue }

    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> bucketShift) }

    /// The bucket holding `key`, or -1.
    @inline(__always)
    private func bucket(of key: UInt64) -> Int {
        var i = home(key)
        while true {
            let k = buckets[i].key
            if k == key { return i }
            if k == 0 { return -1 }
            i = (i + 1) & bucketMask
        }
    }

    @inline(__always)
    func find(_ key: UInt64) -> (port: PortID, remote: UInt32)? {
        let b = bucket(of: key)
        guard b >= 0 else { return nil }
        let s = slots[Int(buckets[b].slot)]
        return (s.port, s.remote)
    }

    private mutating func insertBucket(_ key: UInt64, _ slot: Int32) {
        var i = home(key)
        while buckets[i].key != 0 { i = (i + 1) & bucketMask }
        buckets[i] = Bucket(key: key, slot: slot)
    }

    /// Backward-shift deletion keeps probe chains intact without tombstones.
    private mutating func removeBucket(_ at: Int) {
        var i = at
        var j = at
        while true {
            j = (j + 1) & bucketMask
            let k = buckets[j].key
            if k == 0 { break }
            let h = home(k)
            // Move j back to i when its home is not in the cyclic range (i, j].
            let inRange = i <= j ? (h > i && h <= j) : (h > i || h <= j)
            if !inRange {
                buckets[i] = buckets[j]
                i = j
            }
        }
        buckets[i] = Bucket(key: 0, slot: -1)
    }

    // MARK: - learning

    @inline(__always)
    mutating func learn(_ key: UInt64, port: PortID, remote: UInt32, now: Int64) -> MACLearningTable.LearnOutcome {
        let b = bucket(of: key)
        if b >= 0 {
            let s = buckets[b].slot
            let slot = slots + Int(s)
            if slot.pointee.isStatic { return .staticEntry }
            let old = slot.pointee.port
            if old == port {
                // Seen again within the same millisecond: nothing changes (the entry's place in its
                // port's LRU list is already right, as entries after it carry the same time).
                if slot.pointee.lastSeen == now && slot.pointee.remote == remote { return .refreshed }
                if slot.pointee.remote != remote {
                    slot.pointee.remote = remote
                    movedTotal &+= 1
                }
                slot.pointee.lastSeen = now
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
            slot.pointee.port = port
            slot.pointee.remote = remote
            slot.pointee.lastSeen = now
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
        guard let s = allocateSlot(Slot(key: key, port: port, remote: remote, lastSeen: now, prev: -1, next: -1,
                                         isStatic: false, inUse: true)) else { return .ignored }
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
            let s = Int(buckets[b].slot)
            if slots[s].isStatic { slots[s].port = port; slots[s].remote = remote; return }
                removeSlot(Int32(s))
        }
        if freeHead < 0 && Int(slotsUsedHigh) >= slotCapacity { grow() }
        guard let s = allocateSlot(Slot(key: key, port: port, remote: remote, lastSeen: 0, prev: -1, next: -1,
                                         isStatic: true, inUse: true)) else { return }
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

    /// Doubles slots and buckets (control path only: static entries beyond the reserve, a larger cap).
    private mutating func grow() {
        let newCapacity = slotCapacity * 2
        let newSlots = UnsafeMutablePointer<Slot>.allocate(capacity: newCapacity)
        newSlots.moveInitialize(from: slots, count: Int(slotsUsedHigh))
        slots.deallocate()
        slots = newSlots
        slotCapacity = newCapacity
        let (b, shift) = MACTableCore.bucketsFor(newCapacity)
        buckets.deallocate()
        buckets = .allocate(capacity: b)
        buckets.initialize(repeating: Bucket(key: 0, slot: -1), count: b)
        bucketShift = shift
        bucketMask = b - 1
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

    private mutating func allocateSlot(_ slot: Slot) -> Int32? {
        if freeHead >= 0 {
            let s = freeHead
            freeHead = slots[Int(s)].next
            slots[Int(s)] = slot
            return s
        }
        guard Int(slotsUsedHigh) < slotCapacity else { return nil }
        let s = slotsUsedHigh
        (slots + Int(s)).initialize(to: slot)
        slotsUsedHigh += 1
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
