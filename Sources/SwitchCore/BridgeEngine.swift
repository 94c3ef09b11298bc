import TapestryModel

/// The switching logic of one bridge: classify, learn, look up, choose outputs.
///
/// Pure: no I/O and no allocation per frame. The datapath thread that owns the bridge calls
/// `decide` for each frame of a batch, then for every output slot asks `edit(for:to:)` how to
/// tag the frame there. A flood goes to every slot for which `floods(_:to:from:)` is true.
/// Not thread-safe: owned by one datapath thread; `install` swaps in a new configuration.
public final class BridgeEngine {
    public private(set) var snapshot: ForwardingSnapshot
    public let table: MACLearningTable

    /// MAC table changes, for `tapestry events`.
    public let events = MACEventLog()

    public init(snapshot: ForwardingSnapshot) {
        self.snapshot = snapshot
        self.table = MACLearningTable(capacity: snapshot.tableSize, agingMillis: snapshot.agingMillis)
        table.events = events
        installStatics()
        installLimits()
    }

    private func installLimits() {
        for p in snapshot.ports { table.setLimit(p.maxMACs, for: p.id) }
    }

    /// Adopts a new configuration: forgets entries of ports that left, re-pins static MACs,
    /// applies the new aging time and cap. Learned entries of remaining ports stay.
    public func install(_ next: ForwardingSnapshot) {
        let old = snapshot
        snapshot = next
        for p in old.ports where next.slot(of: p.id) < 0 { table.flush(port: p.id, includingStatic: true) }
        // Ports whose VLAN membership changed lose their learned entries (they may now be wrong).
        for p in next.ports {
            let oldSlot = old.slot(of: p.id)
            if oldSlot >= 0 && old.ports[oldSlot].vlan != p.vlan { table.flush(port: p.id) }
        }
        for s in old.staticEntries { table.removeStatic(s.mac, vlan: s.vlan) }
        table.agingMillis = next.agingMillis
        if table.capacity != next.tableSize { table.resize(capacity: next.tableSize) }
        installStatics()
        installLimits()
    }

    private func installStatics() {
        for s in snapshot.staticEntries { table.addStatic(s.mac, vlan: s.vlan, port: s.port, remote: s.remote) }
    }

    /// Decides what to do with `frame`, which arrived on slot `inSlot` at `now` (ms); learns its source
    /// (behind remote VTEP `inRemote` when it came out of a tunnel) unless `learning` is false (trace).
    @inline(__always)
    public func decide(_ frame: UnsafeRawBufferPointer, inSlot: Int, inRemote: UInt32 = 0, now: Int64,
                       learning: Bool = true) -> ForwardingDecision {
        let header: FrameHeader
        switch FrameHeader.parse(frame) {
        case .success(let h): header = h
        case .failure(let reason): return .drop(reason, ForwardingDecision.emptyHeader)
        }
        guard header.source.isValidSource else { return .drop(.invalidSource, header) }
        if header.destination.isReservedGroup { return .drop(.reservedGroup, header) }
        let snap = snapshot
        let inPort = snap.fast[inSlot]
        if inPort.flags & FastPort.mirrorOutput != 0 { return .drop(.mirrorOutput, header) }
        // Classify: a tagged frame (VID ≠ 0) keeps its VLAN if allowed; untagged and priority-tagged
        // frames belong to the port's untagged VLAN.
        let vlan: UInt16
        if header.isTagged && header.tagVID != 0 {
            if inPort.flags & FastPort.access != 0 { return .drop(.taggedOnAccess, header) }
            guard snap.carries(inSlot, header.tagVID) else { return .drop(.vlanNotAllowed, header) }
            vlan = header.tagVID
        } else {
            guard inPort.untaggedVLAN != 0 else { return .drop(.untaggedOnTrunk, header) }
            // A priority tag wrapped around another tag would hop VLANs once the priority tag is
            // removed on an untagged egress: such a frame belongs to no VLAN here.
            if header.isTagged && header.hasInnerTag { return .drop(.nestedTag, header) }
            vlan = inPort.untaggedVLAN
        }
        if inPort.flags & FastPort.noForward != 0 {
            if snap.mode == .learning && learning && inPort.flags & FastPort.noLearn == 0 {
                table.learn(header.source, vlan: vlan, port: inPort.id, remote: inRemote, now: now)
            }
            return .drop(.notForwarding, header, vlan: vlan)
        }
        if snap.mode == .hub || header.destination.isMulticast {
            if snap.mode == .learning && learning {
                table.learn(header.source, vlan: vlan, port: inPort.id, remote: inRemote, now: now)
            }
            return ForwardingDecision(action: .flood, reason: .noOutput, outSlot: -1, vlan: vlan, header: header)
        }
        if learning { table.learn(header.source, vlan: vlan, port: inPort.id, remote: inRemote, now: now) }
        guard let (outID, outRemote) = table.lookupWithRemote(header.destination, vlan: vlan) else {
            return ForwardingDecision(action: .flood, reason: .noOutput, outSlot: -1, vlan: vlan, header: header)
        }
        let out = snap.fastSlot(of: outID)
        if out < 0 { return ForwardingDecision(action: .flood, reason: .noOutput, outSlot: -1, vlan: vlan, header: header) }
        if out == inSlot { return .drop(.destinationOnIngress, header, vlan: vlan) }
        if inPort.flags & snap.fast[out].flags & FastPort.isolated != 0 { return .drop(.isolated, header, vlan: vlan) }
        if !snap.carries(out, vlan) { return .drop(.egressFiltered, header, vlan: vlan) }
        if snap.fast[out].flags & FastPort.noForward != 0 { return .drop(.notForwarding, header, vlan: vlan) }
        return ForwardingDecision(action: .unicast, reason: .noOutput, outSlot: out, outRemote: outRemote, vlan: vlan, header: header)
    }

    /// Whether a flooded frame of `decision` from `inSlot` goes out of `slot`.
    @inline(__always)
    public func floods(_ decision: ForwardingDecision, to slot: Int, from inSlot: Int) -> Bool {
        if slot == inSlot { return false }
        let snap = snapshot
        let flags = snap.fast[slot].flags
        if flags & (FastPort.mirrorOutput | FastPort.noForward) != 0 { return false }
        if flags & snap.fast[inSlot].flags & FastPort.isolated != 0 { return false }
        return snap.carries(slot, decision.vlan)
    }

    /// Whether mirror `rule` wants a copy of the frame of `decision` that came in on `inSlot`.
    @inline(__always)
    public func mirrors(_ rule: MirrorRule, _ decision: ForwardingDecision, from inSlot: Int) -> Bool {
        if rule.selectAll || rule.vlans.contains(decision.vlan) { return true }
        for s in rule.slots {
            if s == inSlot { return true }
            switch decision.action {
            case .unicast: if s == decision.outSlot { return true }
            case .flood: if floods(decision, to: s, from: inSlot) { return true }
            case .drop: break
            }
        }
        return false
    }

    /// How the frame of `decision` must be tagged when it leaves `slot`.
    @inline(__always)
    public func edit(for decision: ForwardingDecision, to slot: Int) -> EgressEdit {
        let port = snapshot.fast[slot]
        let tagged = !(port.flags & FastPort.untaggedEgress != 0 && decision.vlan == port.untaggedVLAN)
        return EgressEdit.forEgress(vlan: decision.vlan, header: decision.header, tagged: tagged)
    }

    /// Ages out stale entries; call about once a second.
    @discardableResult
    public func expire(now: Int64) -> Int { table.expire(now: now) }
}
