import CSwitchSync
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
/// Shared by every datapath thread of the bridge (one table per bridge). Lookups take no lock:
/// they read the published entries with atomic loads under a removal sequence lock (MACTableView),
/// so a lookup racing a move returns the old port or the new one, never a torn or reused entry,
/// and never waits for a learner. Learning that changes nothing (the source is already on its
/// port and its time is less than `refreshMillis` old, or it is static) takes no lock either; learning that changes
/// the table (a new entry, a move, a refresh with a new time, an eviction) and every other call
/// take the table's writer lock (a pthread mutex, held for one entry's update, never for a batch).
/// So learning and moves from any thread are never lost. The state lives in raw storage
/// (`MACTableCore`) behind constant pointers, so calls pay no dynamic exclusivity check at all.
/// `resize` and static entries beyond the reserve reallocate the arrays: the datapath calls them
/// only while its threads are stopped (`Datapath.quiesce`).
public final class MACLearningTable: @unchecked Sendable {
    /// A port's identity in the table (stable for the port's life).
    public typealias PortID = UInt32

    private let core: UnsafeMutablePointer<MACTableCore>
    /// `core.pointee.view`, loaded once: the lock-free readers' way in.
    private let view: UnsafeMutablePointer<MACTableView>
    private let writer: OpaquePointer

    public init(capacity: Int, agingMillis: Int64) {
        core = .allocate(capacity: 1)
        core.initialize(to: MACTableCore(capacity: max(1, capacity), agingMillis: agingMillis))
        view = core.pointee.view
        guard let m = tp_sw_mutex_create() else { fatalError("MACLearningTable: out of memory for its lock") }
        writer = m
    }

    deinit {
        tp_sw_mutex_destroy(writer)
        core.pointee.deallocate()
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// Runs `body` with the writer lock held.
    @inline(__always)
    private func locked<T>(_ body: (UnsafeMutablePointer<MACTableCore>) -> T) -> T {
        tp_sw_mutex_lock(writer)
        defer { tp_sw_mutex_unlock(writer) }
        return body(core)
    }

    /// The most learned entries held.
    public var capacity: Int { locked { $0.pointee.capacity } }
    /// Milliseconds an entry lives without being refreshed.
    public var agingMillis: Int64 {
        get { locked { $0.pointee.agingMillis } }
        set { locked { $0.pointee.agingMillis = newValue } }
    }
    /// Seeing a known source again refreshes its entry's time only when that time is at least this
    /// many milliseconds old (default 1: every new millisecond, exact LRU and aging). Bridges use a
    /// coarser step (`BridgeEngine.refreshMillis(agingMillis:)`) so that threads do not write
    /// shared entries per millisecond; aging and eviction are then exact to within it.
    public var refreshMillis: Int64 {
        get { view.pointee.refreshMillis }
        set { locked { $0.pointee.view.pointee.setRefreshMillis(newValue) } }
    }
    public var learnedCount: Int { locked { $0.pointee.learnedCount } }
    public var staticCount: Int { locked { $0.pointee.staticCount } }
    public var learnedTotal: UInt64 { locked { $0.pointee.learnedTotal } }
    public var movedTotal: UInt64 { locked { $0.pointee.movedTotal } }
    public var agedTotal: UInt64 { locked { $0.pointee.agedTotal } }
    public var evictedTotal: UInt64 { locked { $0.pointee.evictedTotal } }

    /// Records table changes for `tapestry events` when set (written with the writer lock held).
    public var events: MACEventLog? {
        get { locked { $0.pointee.events } }
        set { locked { $0.pointee.events = newValue } }
    }

    #if DEBUG
    /// Tests only: runs `hook` inside every lookup (`MACTableView.probeHook`); nil removes it. Set
    /// it while no other thread uses the table.
    func setProbeHook(_ hook: (@Sendable (MACTableView.ProbePoint) -> Void)?) { view.pointee.probeHook = hook }

    /// Tests only: the bucket where the search for (`vlan`, `mac`) starts.
    func homeBucket(_ mac: MACAddress, vlan: UInt16) -> Int { view.pointee.home(MACTableCore.key(mac, vlan)) }
    #endif

    /// The port that owns (`vlan`, `mac`), if known. Lock-free.
    @inline(__always)
    public func lookup(_ mac: MACAddress, vlan: UInt16) -> PortID? {
        view.pointee.find(MACTableCore.key(mac, vlan)).map { PortID(truncatingIfNeeded: $0.value >> 32) }
    }

    /// The port and remote (0 when none) that own (`vlan`, `mac`), if known. Lock-free.
    @inline(__always)
    public func lookupWithRemote(_ mac: MACAddress, vlan: UInt16) -> (port: PortID, remote: UInt32)? {
        guard let (value, _) = view.pointee.find(MACTableCore.key(mac, vlan)) else { return nil }
        return (PortID(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value))
    }

    /// What `learn` did.
    public enum LearnOutcome: Equatable, Sendable {
        case added, refreshed, moved(from: PortID), staticEntry, evicted(port: PortID), ignored
    }

    /// Records that `mac` on `vlan` was seen on `port` (behind `remote`) at `now`. Takes the
    /// writer lock only when the table changes.
    @discardableResult @inline(__always)
    public func learn(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0, now: Int64) -> LearnOutcome {
        let key = MACTableCore.key(mac, vlan)
        if let outcome = view.pointee.learnWithoutChange(key, port: port, remote: remote, now: now) { return outcome }
        return locked { $0.pointee.learnLocked(key, port: port, remote: remote, now: now) }
    }

    /// Removes learned entries not refreshed for `agingMillis`; returns how many went.
    @discardableResult
    public func expire(now: Int64) -> Int { locked { $0.pointee.expire(now: now) } }

    /// Pins `mac` on `vlan` to `port`, replacing a learned entry for the same key.
    public func addStatic(_ mac: MACAddress, vlan: UInt16, port: PortID, remote: UInt32 = 0) {
        locked { $0.pointee.addStatic(MACTableCore.key(mac, vlan), port: port, remote: remote) }
    }

    /// Removes a static entry; returns whether there was one.
    @discardableResult
    public func removeStatic(_ mac: MACAddress, vlan: UInt16) -> Bool {
        locked { $0.pointee.removeStatic(MACTableCore.key(mac, vlan)) }
    }

    /// Removes learned entries (of one port, or all); static entries stay unless `includingStatic`.
    @discardableResult
    public func flush(port: PortID? = nil, includingStatic: Bool = false) -> Int {
        locked { $0.pointee.flush(port: port, includingStatic: includingStatic) }
    }

    /// Limits how many entries every port may hold (nil = only the table cap).
    public func setPerPortLimit(_ limit: Int?) { locked { $0.pointee.defaultPortLimit = limit.map { max(1, $0) } ?? 0 } }

    /// Limits how many entries `port` may hold (`set-port --max-macs`); nil removes the limit.
    /// Entries over a lowered limit go oldest first.
    public func setLimit(_ limit: Int?, for port: PortID) {
        locked { $0.pointee.setLimit(limit.map { max(1, $0) } ?? 0, for: port) }
    }

    /// Changes the cap; evicts fairly down to it. Control path only (may reallocate the arrays).
    public func resize(capacity newCapacity: Int) { locked { $0.pointee.resize(capacity: max(1, newCapacity)) } }

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
        locked { $0.pointee.allSlots() }.map { s in
            Entry(mac: MACAddress(rawValue: s.key), vlan: UInt16(s.key >> 48), port: s.port, remote: s.remote,
                  lastSeen: s.isStatic ? 0 : s.lastSeen, isStatic: s.isStatic)
        }.sorted { ($0.port, $0.vlan, $0.mac.rawValue) < ($1.port, $1.vlan, $1.mac.rawValue) }
    }

    /// How many learned entries `port` holds.
    public func count(of port: PortID) -> Int { locked { $0.pointee.count(of: port) } }
}
