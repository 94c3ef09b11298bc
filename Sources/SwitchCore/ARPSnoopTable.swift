import CSwitchSync
import TapestryModel

/// The IPv4 ↔ MAC bindings a bridge saw in ARP (requests, replies, gratuitous ARP: the sender's
/// address and MAC) and the IPv6 ones it saw in neighbour discovery (a solicitation's source, an
/// advertisement's target) on its ports with ARP suppression: one MAC per (VLAN, IP), the latest seen.
/// Bounded (a flood of made-up senders fills it and is then ignored, counted in `refused`);
/// entries not seen for the bridge's MAC aging time go. Written by any datapath thread (the
/// threads decide batches of one bridge at the same time), read by the cluster agent through
/// `Datapath.perform`: every call takes the table's own lock (a pthread mutex; only ARP and
/// neighbour discovery frames on ports that suppress ARP come here). It also counts the bridge's
/// answered and malformed ARP.
public final class ARPSnoopTable: @unchecked Sendable {
    /// One binding as seen: on which port, when (ms).
    public struct Entry: Sendable, Equatable {
        public var vlan: UInt16
        public var ip: IPv4Address
        public var mac: MACAddress
        public var port: UInt32
        public var seen: Int64
    }

    /// One IPv6 binding as seen (neighbour discovery): on which port, when (ms).
    public struct NeighborEntry: Sendable, Equatable {
        public var vlan: UInt16
        public var ip: IPAddress
        public var mac: MACAddress
        public var port: UInt32
        public var seen: Int64
    }

    public let capacity: Int
    private var entries: [UInt64: Entry] = [:]
    private var neighbors: [ARPSuppression.NeighborKey: NeighborEntry] = [:]
    private var refusedCount: UInt64 = 0
    private var answeredCount: UInt64 = 0
    private var malformedCount: UInt64 = 0
    private let lock: OpaquePointer

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        entries.reserveCapacity(min(self.capacity, 1024))
        guard let m = tp_sw_mutex_create() else { fatalError("ARPSnoopTable: out of memory for its lock") }
        lock = m
    }

    deinit { tp_sw_mutex_destroy(lock) }

    @inline(__always)
    private func locked<T>(_ body: () -> T) -> T {
        tp_sw_mutex_lock(lock)
        defer { tp_sw_mutex_unlock(lock) }
        return body()
    }

    public var count: Int { locked { countLocked } }
    private var countLocked: Int { entries.count + neighbors.count }
    /// New bindings not kept because the table was full.
    public var refused: UInt64 { locked { refusedCount } }
    /// ARP requests and neighbour solicitations answered (see `BridgeEngine.arpAnswered`).
    var answered: UInt64 { locked { answeredCount } }
    /// ARP frames that were neither snooped nor answered (see `BridgeEngine.arpMalformed`).
    var malformed: UInt64 { locked { malformedCount } }

    func countAnswered() { locked { answeredCount &+= 1 } }
    func countMalformed() { locked { malformedCount &+= 1 } }

    /// Records that `ip` is at `mac` on `port` (VLAN `vlan`) at `now`.
    func record(vlan: UInt16, ip: UInt32, mac: UInt64, port: UInt32, now: Int64) {
        locked { recordLocked(vlan: vlan, ip: ip, mac: mac, port: port, now: now) }
    }

    /// Records that IPv6 address `ip` is at `mac` on `port` (VLAN `vlan`) at `now`.
    func record(vlan: UInt16, ip: IPv6Bits, mac: UInt64, port: UInt32, now: Int64) {
        locked { recordLocked(vlan: vlan, ip: ip, mac: mac, port: port, now: now) }
    }

    private func recordLocked(vlan: UInt16, ip: UInt32, mac: UInt64, port: UInt32, now: Int64) {
        let key = ARPSuppression.key(vlan: vlan, ip: ip)
        if let e = entries[key], e.mac.rawValue == mac, e.port == port {
            if e.seen != now { entries[key]?.seen = now }
            return
        }
        guard entries[key] != nil || countLocked < capacity else { refusedCount &+= 1; return }
        entries[key] = Entry(vlan: vlan, ip: IPv4Address(value: ip), mac: MACAddress(rawValue: mac), port: port, seen: now)
    }

    private func recordLocked(vlan: UInt16, ip: IPv6Bits, mac: UInt64, port: UInt32, now: Int64) {
        let key = ARPSuppression.NeighborKey(vlan: vlan, high: ip.high, low: ip.low)
        if let e = neighbors[key], e.mac.rawValue == mac, e.port == port {
            if e.seen != now { neighbors[key]?.seen = now }
            return
        }
        guard neighbors[key] != nil || countLocked < capacity else { refusedCount &+= 1; return }
        neighbors[key] = NeighborEntry(vlan: vlan, ip: IPAddress(ipv6High: ip.high, low: ip.low), mac: MACAddress(rawValue: mac),
                                       port: port, seen: now)
    }

    /// The IPv6 bindings, sorted by VLAN and IP.
    public func allNeighbors() -> [NeighborEntry] {
        locked { Array(neighbors.values) }.sorted { ($0.vlan, $0.ip) < ($1.vlan, $1.ip) }
    }

    /// The bindings, sorted by VLAN and IP.
    public func all() -> [Entry] {
        locked { Array(entries.values) }.sorted { ($0.vlan, $0.ip) < ($1.vlan, $1.ip) }
    }

    /// Forgets bindings not seen since `before` (ms); returns how many went.
    @discardableResult
    func expire(before: Int64) -> Int {
        locked {
            let n = countLocked
            if entries.values.contains(where: { $0.seen < before }) { entries = entries.filter { $0.value.seen >= before } }
            if neighbors.values.contains(where: { $0.seen < before }) { neighbors = neighbors.filter { $0.value.seen >= before } }
            return n - countLocked
        }
    }

    /// Forgets the bindings seen on `port` (nil: all).
    func flush(port: UInt32?) {
        locked {
            entries = port.map { p in entries.filter { $0.value.port != p } } ?? [:]
            neighbors = port.map { p in neighbors.filter { $0.value.port != p } } ?? [:]
        }
    }
}
