/// How a bond negotiates: not at all, actively (sends LACPDUs), or passively (answers an active partner).
public enum LACPMode: String, Sendable, CaseIterable { case off, active, passive }

/// One bond's LACP (IEEE 802.1AX): the actor's information per member, what each partner said,
/// which members are selected into the aggregate (only members whose partners are one and the same
/// system and key — one LAG), and which collect and distribute (the partner is in sync with us).
///
/// Pure and single-threaded on an injected clock (ms): the owner feeds received LACPDU frames
/// (`receive`), link changes (`setLink`) and time (`advance(to:)`), and takes the LACPDUs to send
/// and the members that may carry traffic. A member whose partner falls silent expires after
/// 3 × the partner's period (3 s fast, 90 s slow) and leaves the aggregate.
public final class LACPAggregator {
    public struct Member: Sendable {
        public let name: String
        public let port: UInt16
        public internal(set) var linkUp = true
        public internal(set) var partner: LACPParticipant?
        /// The partner's view of us (the partner TLV of its last LACPDU).
        var partnerView: LACPParticipant?
        var currentUntil: Int64 = 0
        var nextTransmit: Int64 = 0
        public internal(set) var selected = false
        public internal(set) var distributing = false
        public internal(set) var rxLACPDUs: UInt64 = 0
        public internal(set) var txLACPDUs: UInt64 = 0
        public internal(set) var rxBad: UInt64 = 0
    }

    public let mode: LACPMode
    public let fastRate: Bool
    public let system: [UInt8]
    public let systemPriority: UInt16
    public let key: UInt16
    public private(set) var members: [Member] = []
    private var now: Int64
    private var outbox: [(member: Int, frame: [UInt8])] = []

    public init(mode: LACPMode, fastRate: Bool, system: [UInt8], systemPriority: UInt16 = 65535, key: UInt16, now: Int64) {
        self.mode = mode; self.fastRate = fastRate; self.system = system; self.systemPriority = systemPriority
        self.key = key; self.now = now
    }

    @discardableResult
    public func addMember(_ name: String, linkUp: Bool = true) -> Int {
        var m = Member(name: name, port: UInt16(members.count + 1))
        m.linkUp = linkUp
        members.append(m)
        update()
        return members.count - 1
    }

    /// The actor's information for member `i`.
    public func actor(_ i: Int) -> LACPParticipant {
        var s: LACPState = [.aggregation]
        if mode == .active { s.insert(.activity) }
        if fastRate { s.insert(.shortTimeout) }
        let m = members[i]
        if m.selected { s.insert(.synchronization) }
        if m.distributing { s.formUnion([.collecting, .distributing]) }
        if m.partner == nil { s.insert(.defaulted) }
        return LACPParticipant(systemPriority: systemPriority, system: system, key: key, portPriority: 255, port: m.port, state: s)
    }

    public func setLink(_ i: Int, up: Bool) {
        guard members.indices.contains(i), members[i].linkUp != up else { return }
        members[i].linkUp = up
        if !up { members[i].partner = nil; members[i].partnerView = nil }
        update()
    }

    public func receive(_ i: Int, frame: UnsafeRawBufferPointer) {
        guard members.indices.contains(i), members[i].linkUp else { return }
        switch LACPDUCodec.decode(frame) {
        case .failure: members[i].rxBad += 1
        case .success(let pdu):
            members[i].rxLACPDUs += 1
            let changed = members[i].partner != pdu.actor || members[i].partnerView != pdu.partner
            members[i].partner = pdu.actor
            members[i].partnerView = pdu.partner
            let period: Int64 = pdu.actor.state.contains(.shortTimeout) ? 1000 : 30000
            members[i].currentUntil = now + 3 * period
            update()
            // Tell the partner what changed (need-to-transmit), e.g. that we are now in sync.
            if changed { members[i].nextTransmit = now }
            transmitDue()
        }
    }

    public func advance(to t: Int64) {
        guard t >= now else { return }
        now = t
        var expired = false
        for i in members.indices where members[i].partner != nil && now >= members[i].currentUntil {
            members[i].partner = nil
            members[i].partnerView = nil
            expired = true
        }
        if expired { update() }
        transmitDue()
    }

    /// LACPDUs to send since the last call, by member index.
    public func takeFrames() -> [(member: Int, frame: [UInt8])] {
        let o = outbox
        outbox = []
        return o
    }

    /// The members that may carry traffic now (distributing).
    public var activeMembers: [Int] { members.indices.filter { members[$0].distributing } }

    // MARK: - selection, mux, transmit

    private func update() {
        // Selection: the LAG is the group of the first member (by index) that has a partner; only its members aggregate.
        let lag = members.first { $0.linkUp && $0.partner != nil }?.partner
        for i in members.indices {
            let m = members[i]
            let selected = m.linkUp && lag != nil && (m.partner.map { p in lag.map { p.sameGroup($0) } ?? false } ?? false)
                && (m.partner?.state.contains(.aggregation) ?? false)
            members[i].selected = selected
            // Mux: collect and distribute once the partner says it is in sync with our current information.
            let view = m.partnerView
            let partnerInSync = view.map { v in
                v.system == system && v.key == key && v.port == m.port && v.state.contains(.synchronization)
            } ?? false
            let partnerState = m.partner?.state ?? []
            members[i].distributing = selected && partnerInSync && partnerState.contains(.synchronization)
        }
    }

    private func transmitDue() {
        for i in members.indices where members[i].linkUp && now >= members[i].nextTransmit {
            let partnerActive = members[i].partner?.state.contains(.activity) ?? false
            guard mode == .active || (mode == .passive && partnerActive) else { continue }
            let partner = members[i].partner ?? LACPParticipant()
            outbox.append((i, LACPDUCodec.encode(LACPDU(actor: actor(i), partner: partner), source: system)))
            members[i].txLACPDUs += 1
            let partnerFast = members[i].partner?.state.contains(.shortTimeout) ?? fastRate
            members[i].nextTransmit = now + (partnerFast ? 1000 : 30000)
        }
    }
}
