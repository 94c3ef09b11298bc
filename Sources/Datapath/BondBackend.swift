import Bonding
import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif

/// Which members of a bond carry traffic and which member each hash bucket leaves by: computed by
/// the bond's controller, installed into the backend while the datapath threads are stopped.
public struct BondTable: Sendable {
    public let mode: BondMode
    /// Per member: whether it carries traffic.
    public let enabled: [Bool]
    /// Per hash bucket (256): the member index (-1: none).
    public let buckets: [Int]
    /// The active member (active-backup: the one in use; balance-slb: the one floods use), or -1.
    public let active: Int

    public init(mode: BondMode, enabled: [Bool], buckets: [Int], active: Int) {
        self.mode = mode; self.enabled = enabled; self.buckets = buckets; self.active = active
    }

    /// Nothing enabled (until the controller has spoken).
    public static func disabled(mode: BondMode, members: Int) -> BondTable {
        BondTable(mode: mode, enabled: Array(repeating: false, count: members),
                  buckets: Array(repeating: -1, count: BondHasher.bucketCount), active: -1)
    }
}

/// A bond port: one port of its bridge over several system netdevs (members), each read and
/// written through its own AF_PACKET sockets (`PacketBackend`, one per datapath thread).
///
/// Receive: thread k polls one epoll fd of its own that watches socket k of every member, and
/// reads the members one after another into the same batch (the bridge sees one ingress port, so
/// learning never moves between members). Slow-protocol frames (LACPDUs to 01:80:C2:00:00:02,
/// EtherType 0x8809) go to the bond's `slowFrames` queue, never to the bridge; frames on a member
/// that is not enabled are dropped; in active-backup only the active member is read, and in
/// balance-slb broadcast and multicast only from the active member (the peer switch floods to
/// every member; one copy is enough). Send: each frame leaves by one member — the active one
/// (active-backup), or its hash bucket's (source MAC and VLAN for balance-slb, the L3/L4 flow for
/// balance-tcp) — so the frames of one flow always take the same member. A balance-slb bond also drops
/// frames whose source MAC it sent from within the last 2 s: a plain peer switch floods our own
/// broadcasts back on the other members.
public final class BondBackend: PortBackend, @unchecked Sendable {
    public let memberNames: [String]
    public let members: [PacketBackend]
    public let offloads: PortOffloads = [.vnetHeader, .checksum, .tso]
    public var queueCount: Int { pollFDs.count }
    /// LACPDUs received, by member name (the bond's controller drains it).
    public let slowFrames = ControlFrameQueue()
    /// balance-slb: the source MACs sent lately (their copies flooded back by the peer are dropped).
    private let reflections = BondReflectionFilter()
    /// Replaced only while the datapath threads are stopped (`install`).
    public private(set) var table: BondTable
    /// Per queue: the epoll fd watching that queue's socket of every member.
    private let pollFDs: [Int32]
    /// Per queue: scratch for the frames of one member during a send (only thread `queue` touches its own).
    private let scratch: [UnsafeMutablePointer<tp_tx_slot>]
    /// Per queue: the member chosen for each frame of the send in progress.
    private let choices: [UnsafeMutablePointer<Int8>]
    private static let scratchCapacity = 1024
    /// The most frames one send hands over (the datapath's send queue).
    static let maxFrames = DatapathWorker.pendingCapacity
    static let vnetLength = Int(TP_VNET_HDR_LEN)

    /// `members`: per member, its sockets (one per datapath thread); throws when an epoll fd cannot be made.
    public init(memberNames: [String], sockets: [[Int32]], mode: BondMode) throws {
        precondition(memberNames.count == sockets.count && !sockets.isEmpty, "one socket list per member")
        self.memberNames = memberNames
        members = sockets.map { PacketBackend(fds: $0) }
        let queues = sockets.map(\.count).min() ?? 1
        var fds: [Int32] = []
        for q in 0..<queues {
            let ep = tp_epoll_create()
            guard ep >= 0 else {
                for fd in fds { _ = close(fd) }
                throw DatapathError("could not create the epoll fd of a bond")
            }
            for (m, s) in sockets.enumerated() { _ = tp_epoll_add(ep, s[q], UInt64(m)) }
            fds.append(ep)
        }
        pollFDs = fds
        scratch = fds.map { _ in UnsafeMutablePointer<tp_tx_slot>.allocate(capacity: BondBackend.scratchCapacity) }
        choices = fds.map { _ in UnsafeMutablePointer<Int8>.allocate(capacity: BondBackend.maxFrames) }
        table = .disabled(mode: mode, members: memberNames.count)
    }

    deinit {
        for s in scratch { s.deallocate() }
        for c in choices { c.deallocate() }
        for fd in pollFDs { _ = close(fd) }
    }

    /// Installs a new table (call inside `Datapath.perform`: the threads are stopped).
    public func install(_ t: BondTable) { table = t }

    public func receiveFD(queue: Int) -> Int32 { queue < pollFDs.count ? pollFDs[queue] : -1 }

    public func receive(queue: Int, into batch: ReceiveBatch, counters: CounterLane) -> Int {
        let t = table
        let tick = t.mode == .balanceSLB ? BondReflectionFilter.tick() : 0
        var n = 0
        for m in members.indices {
            guard n < batch.bufferCount else { break }
            batch.rebase(n..<batch.bufferCount)
            let got = members[m].receive(queue: queue, into: batch, from: n)
            let end = n + got
            for k in n..<end {
                let frame = UnsafeRawBufferPointer(start: batch.data[k] + BondBackend.vnetLength,
                                                   count: max(batch.length[k] - BondBackend.vnetLength, 0))
                if BondBackend.isSlowProtocol(frame) {
                    slowFrames.push(port: memberNames[m], frame: frame)
                    continue
                }
                guard admits(t, member: m, frame: frame) else { counters.dropped(.bondInactiveMember); continue }
                if t.mode == .balanceSLB, let mac = BondReflectionFilter.source(frame), reflections.isReflection(mac, tick: tick) {
                    counters.dropped(.bondReflection)
                    continue
                }
                if k != n { batch.swapFrames(n, k) }
                n += 1
            }
        }
        return n
    }

    @inline(__always)
    private func admits(_ t: BondTable, member m: Int, frame: UnsafeRawBufferPointer) -> Bool {
        guard t.enabled[m] else { return false }
        switch t.mode {
        case .activeBackup: return m == t.active
        case .balanceSLB: return m == t.active || frame.count < 1 || frame[0] & 1 == 0
        case .balanceTCP: return true
        }
    }

    public func send(_ frames: UnsafeMutablePointer<tp_tx_slot>, count: Int, context: TransmitContext, counters: CounterLane) {
        if count > BondBackend.maxFrames {
            send(frames, count: BondBackend.maxFrames, context: context, counters: counters)
            send(frames + BondBackend.maxFrames, count: count - BondBackend.maxFrames, context: context, counters: counters)
            return
        }
        let t = table
        let q = context.queue % scratch.count
        let out = scratch[q], choice = choices[q]
        var used: UInt32 = 0
        let tick = t.mode == .balanceSLB ? BondReflectionFilter.tick() : 0
        for i in 0..<count {
            let f = frames[i]
            let bytes = UnsafeRawBufferPointer(start: f.frame, count: Int(f.len))
            let m = member(t, frame: bytes)
            if t.mode == .balanceSLB, let mac = BondReflectionFilter.source(bytes) { reflections.sent(mac, tick: tick) }
            choice[i] = Int8(m)
            if m < 0 { counters.dropped(.noOutput) } else { used |= 1 << UInt32(m) }
        }
        // Each member takes its frames in order, in one sendmmsg.
        for m in members.indices where used & (1 << UInt32(m)) != 0 {
            var c = 0
            for i in 0..<count where Int(choice[i]) == m {
                out[c] = frames[i]
                c += 1
                if c == BondBackend.scratchCapacity { flush(out, c, member: m, queue: context.queue, counters: counters); c = 0 }
            }
            if c > 0 { flush(out, c, member: m, queue: context.queue, counters: counters) }
        }
    }

    private func flush(_ out: UnsafeMutablePointer<tp_tx_slot>, _ c: Int, member m: Int, queue: Int, counters: CounterLane) {
        let fds = members[m].fds
        _ = tp_send_batch(fds[queue % fds.count], out, Int32(c), 1)
        countResults(out, count: c, counters: counters)
    }

    @inline(__always)
    private func member(_ t: BondTable, frame: UnsafeRawBufferPointer) -> Int {
        if t.mode == .activeBackup { return t.active }
        return t.buckets[Int(BondHasher.hash(frame, mode: t.mode) % UInt32(BondHasher.bucketCount))]
    }

    /// Sends a LACPDU out of member `m` (from the bond's control thread; its own slot, socket 0).
    public func sendSlow(member m: Int, frame: [UInt8]) -> Bool {
        guard members.indices.contains(m) else { return false }
        let vnet = [UInt8](repeating: 0, count: BondBackend.vnetLength)
        return vnet.withUnsafeBufferPointer { v in
            frame.withUnsafeBufferPointer { f in
                var slot = tp_tx_slot(vnet: v.baseAddress, frame: f.baseAddress, len: UInt32(f.count), edit: Int32(TP_EDIT_NONE),
                                      tci: 0, pad: 0, remote: 0, result: 0)
                return tp_send_batch(members[m].fds[0], &slot, 1, 1) == 1
            }
        }
    }

    /// Whether `frame` is a slow-protocols frame (LACP, marker): to 01:80:C2:00:00:02 with EtherType 0x8809.
    @inline(__always)
    static func isSlowProtocol(_ f: UnsafeRawBufferPointer) -> Bool {
        f.count >= 14 && f[12] == 0x88 && f[13] == 0x09 && f[0] == 0x01 && f[1] == 0x80 && f[2] == 0xC2 && f[3] == 0 && f[4] == 0
            && f[5] == 0x02
    }
}
