#if canImport(Glibc)
import Glibc
#endif

/// The back-end side of one vhost-user connection: answers each message, keeps the negotiated
/// features, the memory map and the vring settings, and hands the datapath a new
/// `VhostUserQueues` whenever what it serves changes. The fds and mappings it replaces are released
/// only after the datapath let go of them. Driven by one thread (the connection's).
public final class VhostUserSession: @unchecked Sendable {
    /// Runs `body` where the datapath is quiet (between batches), passing it the queues in use
    /// and installing the ones it returns. Returns when done.
    public typealias Installer = (@escaping @Sendable (VhostUserQueues?) -> VhostUserQueues?) -> Void

    /// One vring's settings as the front-end gave them.
    public struct Vring: Sendable {
        public var num = 0
        public var address: VringAddress?
        public var base: UInt16 = 0
        public var kickFD: Int32 = -1
        public var callFD: Int32 = -1
        public var started = false
        public var enabled = false
    }

    public private(set) var features: UInt64 = 0
    public private(set) var protocolFeatures: UInt64 = 0
    public private(set) var vrings = [Vring](repeating: Vring(), count: 2 * VhostUserFeatures.maxQueuePairs)
    private var mapping: GuestMemoryMapping?
    private var retiredFDs: [Int32] = []
    private var retiredMappings: [GuestMemoryMapping] = []
    /// Vrings whose base the front-end set since the last install (it wins over the running position).
    private var rebased = Set<Int>()
    /// Whether the datapath holds queues of this session now.
    private var datapathHasQueues = false
    private let install: Installer
    /// Vrings the datapath serves now (receive, transmit), for `show`.
    public private(set) var activeQueues = (receive: 0, transmit: 0)
    /// Why the last vring could not be served, if one could not.
    public private(set) var lastVringError: String?

    public init(install: @escaping Installer) { self.install = install }

    public var mappedBytes: Int { mapping?.mappedBytes ?? 0 }

    /// Answers one message; returns the reply bytes, if any. A malformed or impossible message
    /// throws (the connection is then closed); its fds are closed either way unless kept.
    public func handle(_ m: VhostUserMessage) throws(VhostUserError) -> [UInt8]? {
        var fds = m.fds
        defer { for fd in fds { close(fd) } }
        typealias F = VhostUserFeatures
        var reply: [UInt8]?
        var changed = false
        switch m.request {
        case .getFeatures:
            reply = m.reply(VhostUserMessage.u64Payload(F.offered))
        case .setFeatures:
            let v = try m.u64()
            guard v & ~F.offered == 0 else { throw VhostUserError("SET_FEATURES: feature bits 0x\(String(v & ~F.offered, radix: 16)) were not offered") }
            features = v
            changed = true
        case .setOwner, .sendRARP, .netSetMTU, .setLogBase, .setLogFD, .other:
            break
        case .resetOwner:
            stopAll()
            changed = true
        case .getProtocolFeatures:
            reply = m.reply(VhostUserMessage.u64Payload(F.protocolOffered))
        case .setProtocolFeatures:
            let v = try m.u64()
            guard v & ~F.protocolOffered == 0 else { throw VhostUserError("SET_PROTOCOL_FEATURES: bits 0x\(String(v & ~F.protocolOffered, radix: 16)) were not offered") }
            protocolFeatures = v
        case .getQueueNum:
            reply = m.reply(VhostUserMessage.u64Payload(UInt64(F.maxQueuePairs)))
        case .setMemTable:
            let table = try m.memoryTable()
            let taken = fds
            fds = []
            let next = try GuestMemoryMapping(table: table, fds: taken)
            if let old = mapping { retiredMappings.append(old) }
            mapping = next
            changed = true
        case .setVringNum:
            let (i, num) = try m.vringState()
            try checkIndex(i, m)
            guard num >= 1, num <= UInt32(SplitVirtqueue.maxSize), num & (num - 1) == 0 else {
                throw VhostUserError("SET_VRING_NUM: size \(num) of vring \(i) is not a power of two in 1-32768")
            }
            vrings[i].num = Int(num)
            changed = vrings[i].started
        case .setVringAddr:
            let a = try m.vringAddress()
            try checkIndex(a.index, m)
            vrings[a.index].address = a
            changed = vrings[a.index].started
        case .setVringBase:
            let (i, num) = try m.vringState()
            try checkIndex(i, m)
            guard num <= 0xFFFF else { throw VhostUserError("SET_VRING_BASE: base \(num) of vring \(i) is above 65535") }
            vrings[i].base = UInt16(num)
            rebased.insert(i)
            changed = vrings[i].started
        case .getVringBase:
            let (i, _) = try m.vringState()
            try checkIndex(i, m)
            vrings[i].started = false
            if vrings[i].kickFD >= 0 { retiredFDs.append(vrings[i].kickFD); vrings[i].kickFD = -1 }
            refresh()
            reply = m.reply(VhostUserMessage.statePayload(index: i, num: UInt32(vrings[i].base)))
        case .setVringKick, .setVringCall, .setVringErr:
            let u = try m.u64()
            let i = Int(u & 0xFF)
            try checkIndex(i, m)
            var fd: Int32 = -1
            if u & VhostUserMessage.noFDFlag == 0 {
                guard let first = fds.first else { throw VhostUserError("\(m.request.name): vring \(i) without an fd") }
                fd = first
                fds.removeFirst()
            }
            if m.request == .setVringKick {
                if vrings[i].kickFD >= 0 { retiredFDs.append(vrings[i].kickFD) }
                vrings[i].kickFD = fd
                vrings[i].started = true
                if features & F.protocolFeatures == 0 { vrings[i].enabled = true }
                changed = true
            } else if m.request == .setVringCall {
                if vrings[i].callFD >= 0 { retiredFDs.append(vrings[i].callFD) }
                vrings[i].callFD = fd
                changed = vrings[i].started
            } else if fd >= 0 {
                close(fd)
            }
        case .setVringEnable:
            let (i, num) = try m.vringState()
            try checkIndex(i, m)
            vrings[i].enabled = num != 0
            changed = true
        }
        if changed { refresh() }
        if reply == nil && m.needsReply && protocolFeatures & F.protocolReplyAck != 0 {
            reply = m.reply(VhostUserMessage.u64Payload(0))
        }
        return reply
    }

    /// The connection ended (or is being closed): stops every queue and releases every fd and mapping.
    public func reset() {
        stopAll()
        features = 0
        protocolFeatures = 0
        if let m = mapping { retiredMappings.append(m); mapping = nil }
        refresh()
    }

    private func stopAll() {
        for i in vrings.indices {
            if vrings[i].kickFD >= 0 { retiredFDs.append(vrings[i].kickFD) }
            if vrings[i].callFD >= 0 { retiredFDs.append(vrings[i].callFD) }
            vrings[i] = Vring()
        }
        rebased.removeAll()
    }

    private func checkIndex(_ i: Int, _ m: VhostUserMessage) throws(VhostUserError) {
        guard i >= 0, i < vrings.count else { throw VhostUserError("\(m.request.name): vring index \(i) out of range 0-\(vrings.count - 1)") }
    }

    /// Rebuilds the datapath's queues from the settings (carrying the running positions over),
    /// installs them, then releases what was retired.
    private func refresh() {
        let features = self.features
        let memory = mapping?.memory
        let wanted = memory != nil && vrings.contains { $0.started && $0.enabled && $0.num > 0 && $0.address != nil }
        // Nothing served before or after (the set-up messages before the rings start): no need to
        // stop the datapath, which costs a round trip to its thread each time.
        if wanted || datapathHasQueues {
            install { [self] old in
                if let old {
                    for q in old.all where !rebased.contains(q.index) { vrings[q.index].base = q.lastAvail }
                }
                rebased.removeAll()
                guard let memory else { activeQueues = (0, 0); return nil }
                var rx: [SplitVirtqueue] = [], tx: [SplitVirtqueue] = []
                lastVringError = nil
                for (i, v) in vrings.enumerated() where v.started && v.enabled && v.num > 0 {
                    guard let a = v.address else { continue }
                    do {
                        let q = try SplitVirtqueue(index: i, size: v.num, address: a, memory: memory, base: v.base,
                                                   eventIdx: features & VhostUserFeatures.ringEventIdx != 0,
                                                   kickFD: v.kickFD, callFD: v.callFD)
                        if i % 2 == 0 { rx.append(q) } else { tx.append(q) }
                    } catch {
                        lastVringError = "\(error)"
                    }
                }
                activeQueues = (rx.count, tx.count)
                if rx.isEmpty && tx.isEmpty { return nil }
                return VhostUserQueues(memory: memory, receive: rx, transmit: tx, features: features)
            }
            datapathHasQueues = activeQueues.receive + activeQueues.transmit > 0
        }
        for fd in retiredFDs { close(fd) }
        retiredFDs.removeAll()
        for m in retiredMappings { m.unmap() }
        retiredMappings.removeAll()
    }
}
