import TapestryModel

/// The MAC learning table of one bridge: (VLAN, MAC) → port, with aging, a size cap and
/// fair eviction.
///
/// - Keys are `vlan << 48 | mac` in one dictionary sized once for the cap, so learning and
///   lookup never allocate in steady state.
/// - Each port keeps its learned entries in its own LRU list (oldest at the head). Aging walks
///   each list from the head; when the table is full, the oldest entry of the port holding the
///   most entries goes, so one port flooding random source MACs evicts its own entries, not
///   everyone else's (the rule Open vSwitch's mac-learning uses).
/// - Static entries are outside the LRU lists: they never age and are never evicted, and
///   learning does not move them.
/// - Time is whatever the caller passes as `now` (milliseconds): tests inject it.
///
/// Not thread-safe: one datapath thread owns a table.
public final class MACLearningTable {
    /// A port's identity in the table (stable for the port's life).
    public typealias PortID = UInt32

    struct Slot {
        var key: UInt64
        var port: PortID
        /// The remote VTEP (IPv4, host order) for entries behind a tunnel port; 0 otherwise.
        var remote: UInt32
        var lastSeen: Int64
        var prev: Int32
        var next: Int32
        var isStatic: Bool
    }

    struct PortList {
        var head: Int32 = -1
        var tail: Int32 = -1
        var count: Int = 0
        /// The most entries this port may hold (0: only the table cap).
        var limit: Int = 0
    }

    /// The most learned entries held.
    public private(set) var capacity: Int
    /// Milliseconds an entry lives without being refreshed.
    public var agingMillis: Int64

    private var index: [UInt64: Int32]
    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    private var ports: [PortList] = []
    private var maxPerPort: Int?

    public private(set) var learnedCount = 0
    public private(set) var staticCount = 0
    public private(set) var learnedTotal: UInt64 = 0
    public private(set) var movedTotal: UInt64 = 0
    public private(set) var agedTotal: UInt64 = 0
    public private(set) var evictedTotal: UInt64 = 0

    public init(capacity: Int, agingMillis: Int64) {
        self.capacity = max(1, capacity)
        self.agingMillis = agingMillis
        index = [:]
        index.reserveCapacity(self.capacity + 64)
        slots.reserveCapacity(self.capacity + 64)
        freeSlots.reserveCapacity(self.capacity + 64)
    }

    @inline(__always)
    static func key(_ mac: MACAddress, _ vlan: UInt16) -> UInt64 { UInt64(vlan) << 48 | mac.rawValue }

    /// The port that owns (`vlan`, `mac`), if known.
    @inline(__always)
    public func lookup(_ mac: MACAddress, vlan: UInt16) -> PortID? {
        guard let s = index[Self.key(mac, vlan)] else { return nil }
        return slots[Int(s)].port
    }

    /// The port and remote VTEP (0 when none) that own (`vlan`, `mac`), if known.
    @inline(__always)
    public func lookupWithRemote(_ mac: MACAddress, vlan: UInt16) -> (port: PortID, remote: UInt32)? {
        guard let s = index[Self.key(mac, vlan)] else { return nil }
        return (slots[Int(s)].port, slots[Int(s)].remote)
    }

    /// What `learn` did.
    public enum LearnOutcome: Equatable, Sendable {
        case added, refreshed, moved(from: PortID), staticEntry, evicted(port: PortID), ignored
    }

    /// Records that `mac` on `vlan` was seen on `port` at `now`.
    @discardableResult @inline(__always)
    public func learn(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0, now: Int64) -> LearnOutcome {
        let k = Self.key(mac, vlan)
        if let s = index[k] {
            let i = Int(s)
            if slots[i].isStatic { return .staticEntry }
            let old = slots[i].port
            if old == port {
                if slots[i].remote != remote { slots[i].remote = remote; movedTotal &+= 1 }
                slots[i].lastSeen = now
                if ports[Int(port)].tail != s { unlink(s, from: port); append(s, to: port) }
                return .refreshed
            }
            unlink(s, from: old)
            slots[i].port = port
            slots[i].remote = remote
            slots[i].lastSeen = now
            ensurePort(port)
            append(s, to: port)
            movedTotal &+= 1
            events?.record(.moved, mac: mac, vlan: vlan, port: port, time: now)
            return .moved(from: old)
        }
        ensurePort(port)
        var outcome = LearnOutcome.added
        let portLimit = ports[Int(port)].limit > 0 ? ports[Int(port)].limit : maxPerPort
        if let limit = portLimit, ports[Int(port)].count >= limit {
            // The port is at its own limit: it replaces its oldest entry.
            removeSlot(ports[Int(port)].head, counted: &evictedTotal)
            outcome = .evicted(port: port)
        } else if learnedCount >= capacity {
            let victim = largestPort()
            removeSlot(ports[Int(victim)].head, counted: &evictedTotal)
            outcome = .evicted(port: victim)
        }
        let s = allocateSlot(Slot(key: k, port: port, remote: remote, lastSeen: now, prev: -1, next: -1, isStatic: false))
        index[k] = s
        append(s, to: port)
        learnedCount += 1
        learnedTotal &+= 1
        events?.record(.learned, mac: mac, vlan: vlan, port: port, time: now)
        return outcome
    }

    /// Removes learned entries not refreshed for `agingMillis`; returns how many went.
    @discardableResult
    public func expire(now: Int64) -> Int {
        var removed = 0
        for p in ports.indices {
            while ports[p].head >= 0, now - slots[Int(ports[p].head)].lastSeen >= agingMillis {
                if let events {
                    let slot = slots[Int(ports[p].head)]
                    events.record(.aged, mac: MACAddress(rawValue: slot.key), vlan: UInt16(slot.key >> 48), port: slot.port, time: now)
                }
                removeSlot(ports[p].head, counted: &agedTotal)
                removed += 1
            }
        }
        return removed
    }

    /// Pins `mac` on `vlan` to `port`, replacing a learned entry for the same key.
    public func addStatic(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0) {
        let k = Self.key(mac, vlan)
        if let s = index[k] {
            if slots[Int(s)].isStatic { slots[Int(s)].port = port; slots[Int(s)].remote = remote; return }
            var ignored: UInt64 = 0
            removeSlot(s, counted: &ignored)
        }
        let s = allocateSlot(Slot(key: k, port: port, remote: remote, lastSeen: 0, prev: -1, next: -1, isStatic: true))
        index[k] = s
        staticCount += 1
    }

    /// Removes a static entry; returns whether there was one.
    @discardableResult
    public func removeStatic(_ mac: MACAddress, vlan: UInt16) -> Bool {
        let k = Self.key(mac, vlan)
        guard let s = index[k], slots[Int(s)].isStatic else { return false }
        index[k] = nil
        freeSlots.append(s)
        staticCount -= 1
        return true
    }

    /// Removes learned entries (of one port, or all); static entries stay unless `includingStatic`.
    @discardableResult
    public func flush(port: PortID? = nil, includingStatic: Bool = false) -> Int {
        var removed = 0
        var ignored: UInt64 = 0
        for p in ports.indices where port == nil || PortID(p) == port {
            while ports[p].head >= 0 { removeSlot(ports[p].head, counted: &ignored); removed += 1 }
        }
        if includingStatic {
            for (k, s) in index where slots[Int(s)].isStatic && (port == nil || slots[Int(s)].port == port) {
                index[k] = nil
                freeSlots.append(s)
                staticCount -= 1
                removed += 1
            }
        }
        return removed
    }

    /// Limits how many entries one port may hold (nil = only the table cap).
    public func setPerPortLimit(_ limit: Int?) { maxPerPort = limit.map { max(1, $0) } }

    /// Limits how many entries `port` may hold (`set-port --max-macs`); nil removes the limit.
    /// Entries over a lowered limit go oldest first.
    public func setLimit(_ limit: Int?, for port: PortID) {
        ensurePort(port)
        let p = Int(port)
        ports[p].limit = limit.map { max(1, $0) } ?? 0
        while ports[p].limit > 0 && ports[p].count > ports[p].limit { removeSlot(ports[p].head, counted: &evictedTotal) }
    }

    /// Records table changes for `tapestry events` when set.
    public var events: MACEventLog?

    /// Changes the cap; evicts fairly down to it.
    public func resize(capacity newCapacity: Int) {
        capacity = max(1, newCapacity)
        while learnedCount > capacity { removeSlot(ports[Int(largestPort())].head, counted: &evictedTotal) }
        index.reserveCapacity(capacity + 64)
    }

    /// One row of the table, for `fdb-show`.
    public struct Entry: Equatable, Sendable {
        public var mac: MACAddress
        public var vlan: UInt16
        public var port: PortID
        /// The remote VTEP (IPv4, host order), 0 when the entry is not behind a tunnel.
        public var remote: UInt32
        public var lastSeen: Int64
        public var isStatic: Bool
    }

    /// Every entry, sorted by port, VLAN and MAC.
    public func entries() -> [Entry] {
        index.values.map { s -> Entry in
            let slot = slots[Int(s)]
            return Entry(mac: MACAddress(rawValue: slot.key), vlan: UInt16(slot.key >> 48), port: slot.port,
                         remote: slot.remote, lastSeen: slot.lastSeen, isStatic: slot.isStatic)
        }.sorted { ($0.port, $0.vlan, $0.mac.rawValue) < ($1.port, $1.vlan, $1.mac.rawValue) }
    }

    /// How many learned entries `port` holds.
    public func count(of port: PortID) -> Int { Int(port) < ports.count ? ports[Int(port)].count : 0 }

    // MARK: - lists

    private func ensurePort(_ port: PortID) {
        if Int(port) >= ports.count { ports.append(contentsOf: repeatElement(PortList(), count: Int(port) + 1 - ports.count)) }
    }

    private func largestPort() -> PortID {
        var best = 0
        for p in ports.indices where ports[p].count > ports[best].count { best = p }
        return PortID(best)
    }

    private func allocateSlot(_ slot: Slot) -> Int32 {
        if let s = freeSlots.popLast() { slots[Int(s)] = slot; return s }
        slots.append(slot)
        return Int32(slots.count - 1)
    }

    private func removeSlot(_ s: Int32, counted counter: inout UInt64) {
        let slot = slots[Int(s)]
        unlink(s, from: slot.port)
        index[slot.key] = nil
        freeSlots.append(s)
        learnedCount -= 1
        counter &+= 1
    }

    @inline(__always)
    private func append(_ s: Int32, to port: PortID) {
        let p = Int(port)
        slots[Int(s)].prev = ports[p].tail
        slots[Int(s)].next = -1
        if ports[p].tail >= 0 { slots[Int(ports[p].tail)].next = s } else { ports[p].head = s }
        ports[p].tail = s
        ports[p].count += 1
    }

    @inline(__always)
    private func unlink(_ s: Int32, from port: PortID) {
        let p = Int(port)
        let prev = slots[Int(s)].prev, next = slots[Int(s)].next
        if prev >= 0 { slots[Int(prev)].next = next } else { ports[p].head = next }
        if next >= 0 { slots[Int(next)].prev = prev } else { ports[p].tail = prev }
        ports[p].count -= 1
    }
}
