import TapestryModel

/// The MAC learning table of one bridge: (VLAN, MAC) → port, with aging, a size cap and
/// fair eviction.
///
/// - Keys are `vlan << 48 | mac` in an open-addressing hash table (linear probing, multiplicative
///   hash, backward-shift deletion) sized once for the cap, so learning and lookup never
///   allocate and never hash with SipHash.
/// - Each port keeps its learned entries in its own LRU list (oldest at the head). Aging walks
///   each list from the head; when the table is full, the oldest entry of the port holding the
///   most entries goes, so one port flooding random source MACs evicts its own entries, not
///   everyone else's (the rule Open vSwitch's mac-learning uses). A port may also have its own
///   limit (`--max-macs`), past which it replaces its own oldest entry.
/// - Static entries are outside the LRU lists: they never age and are never evicted, and
///   learning does not move them.
/// - Time is whatever the caller passes as `now` (milliseconds): tests inject it.
///
/// Not thread-safe: one datapath thread owns a table. The state lives in one struct of raw
/// storage (`MACTableCore`) behind a constant pointer, so that calls pay no dynamic exclusivity
/// check at all (the decision pipeline calls `learn` and `lookup` for every frame).
public final class MACLearningTable {
    /// A port's identity in the table (stable for the port's life).
    public typealias PortID = UInt32

    private let core: UnsafeMutablePointer<MACTableCore>

    public init(capacity: Int, agingMillis: Int64) {
        core = .allocate(capacity: 1)
        core.initialize(to: MACTableCore(capacity: max(1, capacity), agingMillis: agingMillis))
    }

    deinit {
        core.pointee.deallocate()
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// The most learned entries held.
    public var capacity: Int { core.pointee.capacity }
    /// Milliseconds an entry lives without being refreshed.
    public var agingMillis: Int64 {
        get { core.pointee.agingMillis }
        set { core.pointee.agingMillis = newValue }
    }
    public var learnedCount: Int { core.pointee.learnedCount }
    public var staticCount: Int { core.pointee.staticCount }
    public var learnedTotal: UInt64 { core.pointee.learnedTotal }
    public var movedTotal: UInt64 { core.pointee.movedTotal }
    public var agedTotal: UInt64 { core.pointee.agedTotal }
    public var evictedTotal: UInt64 { core.pointee.evictedTotal }

    /// Records table changes for `tapestry events` when set.
    public var events: MACEventLog? {
        get { core.pointee.events }
        set { core.pointee.events = newValue }
    }

    /// The port that owns (`vlan`, `mac`), if known.
    @inline(__always)
    public func lookup(_ mac: MACAddress, vlan: UInt16) -> PortID? { core.pointee.find(MACTableCore.key(mac, vlan)).map { $0.port } }

    /// The port and remote (0 when none) that own (`vlan`, `mac`), if known.
    @inline(__always)
    public func lookupWithRemote(_ mac: MACAddress, vlan: UInt16) -> (port: PortID, remote: UInt32)? {
        core.pointee.find(MACTableCore.key(mac, vlan))
    }

    /// What `learn` did.
    public enum LearnOutcome: Equatable, Sendable {
        case added, refreshed, moved(from: PortID), staticEntry, evicted(port: PortID), ignored
    }

    /// Records that `mac` on `vlan` was seen on `port` (behind `remote`) at `now`.
    @discardableResult @inline(__always)
    public func learn(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0, now: Int64) -> LearnOutcome {
        core.pointee.learn(MACTableCore.key(mac, vlan), port: port, remote: remote, now: now)
    }

    /// Removes learned entries not refreshed for `agingMillis`; returns how many went.
    @discardableResult
    public func expire(now: Int64) -> Int { core.pointee.expire(now: now) }

    /// Pins `mac` on `vlan` to `port`, replacing a learned entry for the same key.
    public func addStatic(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0) {
        core.pointee.addStatic(MACTableCore.key(mac, vlan), port: port, remote: remote)
    }

    /// Removes a static entry; returns whether there was one.
    @discardableResult
    public func removeStatic(_ mac: MACAddress, vlan: UInt16) -> Bool { core.pointee.removeStatic(MACTableCore.key(mac, vlan)) }

    /// Removes learned entries (of one port, or all); static entries stay unless `includingStatic`.
    @discardableResult
    public func flush(port: PortID? = nil, includingStatic: Bool = false) -> Int {
        core.pointee.flush(port: port, includingStatic: includingStatic)
    }

    /// Limits how many entries every port may hold (nil = only the table cap).
    public func setPerPortLimit(_ limit: Int?) { core.pointee.defaultPortLimit = limit.map { max(1, $0) } ?? 0 }

    /// Limits how many entries `port` may hold (`set-port --max-macs`); nil removes the limit.
    /// Entries over a lowered limit go oldest first.
    public func setLimit(_ limit: Int?, for port: PortID) { core.pointee.setLimit(limit.map { max(1, $0) } ?? 0, for: port) }

    /// Changes the cap; evicts fairly down to it.
    public func resize(capacity newCapacity: Int) { core.pointee.resize(capacity: max(1, newCapacity)) }

    /// One row of the table, for `fdb-show`.
    public struct Entry: Equatable, Sendable {
        public var mac: MACAddress
        public var vlan: UInt16
        public var port: PortID
        /// The remote (IPv4, host order), 0 when the entry is not behind a tunnel.
        public var remote: UInt32
        public var lastSeen: Int64
        public var isStatic: Bool
    }

    /// Every entry, sorted by port, VLAN and MAC.
    public func entries() -> [Entry] {
        core.pointee.allSlots().map { s in
            Entry(mac: MACAddress(rawValue: s.key), vlan: UInt16(s.key >> 48), port: s.port, remote: s.remote,
                  lastSeen: s.lastSeen, isStatic: s.isStatic)
        }.sorted { ($0.port, $0.vlan, $0.mac.rawValue) < ($1.port, $1.vlan, $1.mac.rawValue) }
    }

    /// How many learned entries `port` holds.
    public func count(of port: PortID) -> Int { core.pointee.count(of: port) }
}
