import TapestryModel

/// The switching logic of one bridge, and the one place that decides where a frame goes.
///
/// The datapath, the in-memory test switch, `trace` and the fuzzer all hand a batch of frames of
/// one port to `decide(_:inSlot:now:learning:)` (the pipeline, in BridgeEngine+Pipeline.swift) and
/// carry out the outputs it lists: forwards with their tag edits and tunnel remotes, mirror copies,
/// capture copies. This file holds the per-frame steps the pipeline is made of. Pure: no I/O and
/// no allocation per frame. Several threads may `decide` batches at the same time (the MAC table
/// and the ARP snoop table are shared safely; a port's policy meters have their own lock); `install`
/// (a new configuration), `setCaptureWatches` and `trapsSpanningTree` change only while no thread decides.
public final class BridgeEngine {
    // The properties `decide` reads once per batch are `@exclusivity(unchecked)`: they change only
    // while no thread decides (above), and the dynamic check cost two runtime calls per batch.
    @exclusivity(unchecked) public private(set) var snapshot: ForwardingSnapshot {
        didSet { snapshotRef = Unmanaged.passUnretained(snapshot) }
    }
    /// `snapshot`, unretained (it keeps it alive), for `decide`.
    @exclusivity(unchecked) private(set) var snapshotRef: Unmanaged<ForwardingSnapshot>
    /// `snapshot` without a retain, for a datapath thread that reads it per batch (retaining it
    /// would write its reference count, on a line every thread deciding this bridge reads). Valid
    /// until the next `install`, which happens only while no thread decides.
    public var unretainedSnapshot: Unmanaged<ForwardingSnapshot> { snapshotRef }
    public let table: MACLearningTable
    /// `table`, unretained, for the pipeline: calls through it write no reference count (the
    /// table object's line holds what every lookup reads, on every thread).
    let tableRef: Unmanaged<MACLearningTable>

    /// MAC table changes, for `tapestry events`.
    public let events = MACEventLog()

    /// The live captures of this bridge; a capture copy names its watch by position in this list.
    public private(set) var captureWatches: [CaptureWatch] = []
    /// `captureWatches` with ports resolved to slots of `snapshot`.
    @exclusivity(unchecked) private(set) var slotWatches: [SlotWatch] = []

    /// Whether spanning tree BPDUs (to 01:80:C2:00:00:00) go to the control plane (the bridge runs
    /// STP) instead of being dropped as reserved-group.
    @exclusivity(unchecked) public var trapsSpanningTree = false

    /// ARP suppression: the bindings snooped on the bridge's ports that suppress ARP.
    public let arpSnoop: ARPSnoopTable
    /// ARP requests and neighbour solicitations the bridge answered itself (not counting `trace`).
    public var arpAnswered: UInt64 { arpSnoop.answered }
    /// ARP frames on ports that suppress ARP that were not Ethernet/IPv4 ARP of opcode 1 or 2, or
    /// truncated: neither snooped nor answered (switched as any frame).
    public var arpMalformed: UInt64 { arpSnoop.malformed }

    public init(snapshot: ForwardingSnapshot) {
        self.snapshot = snapshot
        self.snapshotRef = Unmanaged.passUnretained(snapshot)
        self.table = MACLearningTable(capacity: snapshot.tableSize, agingMillis: snapshot.agingMillis)
        self.tableRef = Unmanaged.passUnretained(table)
        self.arpSnoop = ARPSnoopTable(capacity: snapshot.tableSize)
        table.events = events
        table.refreshMillis = BridgeEngine.refreshMillis(agingMillis: snapshot.agingMillis)
        installStatics()
        installLimits()
    }

    /// How stale a MAC entry's time may get before learning refreshes it: 1 % of the aging time,
    /// between 1 ms and 1 s (300 s aging: once a second per entry, not once per millisecond and
    /// thread). Aging is then early by at most that much.
    public static func refreshMillis(agingMillis: Int64) -> Int64 { min(1000, max(1, agingMillis / 100)) }

    private func installLimits() {
        for p in snapshot.ports { table.setLimit(p.maxMACs, for: p.id) }
    }

    /// Adopts a new configuration: forgets entries of ports that left, re-pins static MACs,
    /// applies the new aging time and cap. Learned entries of remaining ports stay.
    public func install(_ next: ForwardingSnapshot) {
        let old = snapshot
        snapshot = next
        for p in old.ports where next.slot(of: p.id) < 0 {
            table.flush(port: p.id, includingStatic: true)
            arpSnoop.flush(port: p.id)
        }
        if !next.ports.contains(where: \.suppressesARP) && arpSnoop.count > 0 { arpSnoop.flush(port: nil) }
        // Ports whose VLAN membership changed lose their learned entries (they may now be wrong).
        for p in next.ports {
            let oldSlot = old.slot(of: p.id)
            if oldSlot >= 0 && old.ports[oldSlot].vlan != p.vlan { table.flush(port: p.id) }
        }
        for s in old.staticEntries { table.removeStatic(s.mac, vlan: s.vlan) }
        table.agingMillis = next.agingMillis
        table.refreshMillis = BridgeEngine.refreshMillis(agingMillis: next.agingMillis)
        if table.capacity != next.tableSize { table.resize(capacity: next.tableSize) }
        installStatics()
        installLimits()
        resolveWatches()
    }

    private func installStatics() {
        for s in snapshot.staticEntries { table.addStatic(s.mac, vlan: s.vlan, port: s.port, remote: s.remote) }
    }

    /// Replaces the live captures (a capture copy names its watch by position in `watches`).
    public func setCaptureWatches(_ watches: [CaptureWatch]) {
        captureWatches = watches
        resolveWatches()
    }

    private func resolveWatches() {
        slotWatches = captureWatches.map { w in
            var slot = SlotWatch.anySlot
            if let id = w.port {
                let s = snapshot.slot(of: id)
                slot = s >= 0 ? s : SlotWatch.absent
            }
            return SlotWatch(slot: slot, vlan: w.vlan, incoming: w.incoming, outgoing: w.outgoing)
        }
    }

    // MARK: - the steps of the pipeline, per frame

    /// Parses, filters, classifies into a VLAN, learns the source (behind remote `inRemote`
    /// when the frame came out of a tunnel) unless `learning` is false (trace), and looks up the
    /// destination: a drop with its reason, a flood, or a unicast to one slot (and remote).
    ///
    /// `@inline(always)`, not `@inline(__always)`: Swift 6.3's inliner treats the latter as a hint
    /// and, once the pipeline's loop grew (ARP suppression), called this out of line ("not
    /// profitable", cost 828) — the decision came back through memory and one thread lost a third
    /// of its frames per second (tapestry-corebench: 525 → 608 instructions per frame). The
    /// guaranteed form keeps it in the loop of `decide`.
    @inline(always)
    func decideFrame(_ frame: UnsafeRawBufferPointer, _ snap: ForwardingSnapshot, inSlot: Int, inRemote: UInt32,
                     now: Int64, nanos: Int64, policy: Unmanaged<PortPolicyState>?, table: Unmanaged<MACLearningTable>,
                     learning: Bool) -> ForwardingDecision {
        let header: FrameHeader
        switch FrameHeader.parse(frame) {
        case .success(let h): header = h
        case .failure(let reason): return .drop(reason, ForwardingDecision.emptyHeader)
        }
        guard header.source.isValidSource else { return .drop(.invalidSource, header) }
        if header.destination.isReservedGroup { return .drop(.reservedGroup, header) }
        let inPort = snap.fast[inSlot]
        if inPort.flags & FastPort.mirrorOutput != 0 { return .drop(.mirrorOutput, header) }
        let vlan: UInt16
        switch VLANPolicy.classify(header, isAccess: inPort.flags & FastPort.access != 0,
                                   untaggedVLAN: inPort.untaggedVLAN, carries: { snap.carries(inSlot, $0) }) {
        case .success(let v): vlan = v
        case .failure(let reason): return .drop(reason, header)
        }
        // Port policy before learning: a spoofed source must not be learned.
        if let policy, let reason = policy._withUnsafeGuaranteedRef({ $0.admit(frame, source: header.source.rawValue) }) {
            return .drop(reason, header, vlan: vlan)
        }
        var learned = false
        if inPort.flags & FastPort.noForward != 0 {
            // Link down or spanning tree: learn (STP learning state) but forward nothing.
            if learning && snap.mode == .learning && inPort.flags & FastPort.noLearn == 0 {
                switch table._withUnsafeGuaranteedRef({ $0.learn(header.source, vlan: vlan, port: inPort.id, remote: inRemote, now: now) }) {
                case .staticEntry, .ignored: break
                default: learned = true
                }
            }
            return .drop(.notForwarding, header, vlan: vlan, learned: learned)
        }
        if learning && snap.mode == .learning {
            switch table._withUnsafeGuaranteedRef({ $0.learn(header.source, vlan: vlan, port: inPort.id, remote: inRemote, now: now) }) {
            case .staticEntry, .ignored: break
            default: learned = true
            }
        }
        if snap.mode == .hub || header.destination.isMulticast {
            return flood(header, vlan: vlan, learned: learned, policy: policy, nanos: nanos)
        }
        guard let (outID, outRemote) = table._withUnsafeGuaranteedRef({ $0.lookupWithRemote(header.destination, vlan: vlan) }) else {
            return flood(header, vlan: vlan, learned: learned, policy: policy, nanos: nanos)
        }
        let out = snap.fastSlot(of: outID)
        if out < 0 { return flood(header, vlan: vlan, learned: learned, policy: policy, nanos: nanos) }
        if out == inSlot { return .drop(.destinationOnIngress, header, vlan: vlan, learned: learned) }
        let outFlags = snap.fast[out].flags
        if inPort.flags & outFlags & FastPort.isolated != 0 { return .drop(.isolated, header, vlan: vlan, learned: learned) }
        if outFlags & FastPort.mirrorOutput != 0 { return .drop(.mirrorOutput, header, vlan: vlan, learned: learned) }
        if !snap.carries(out, vlan) { return .drop(.egressFiltered, header, vlan: vlan, learned: learned) }
        if outFlags & FastPort.noForward != 0 { return .drop(.notForwarding, header, vlan: vlan, learned: learned) }
        return ForwardingDecision(action: .unicast, reason: .noOutput, outSlot: out, outRemote: outRemote, vlan: vlan,
                                  header: header, learned: learned)
    }

    /// A flood of the frame, unless the ingress port's storm limit for its kind (broadcast,
    /// multicast, unknown unicast) is used up.
    @inline(__always)
    private func flood(_ header: FrameHeader, vlan: UInt16, learned: Bool, policy: Unmanaged<PortPolicyState>?, nanos: Int64) -> ForwardingDecision {
        if let policy, policy._withUnsafeGuaranteedRef({ $0.hasStormControl }) {
            let kind: StormControl.Class = header.destination == .broadcast ? .broadcast
                : header.destination.isMulticast ? .multicast : .unknownUnicast
            if !policy._withUnsafeGuaranteedRef({ $0.admitFlood(kind, now: nanos) }) { return .drop(.storm, header, vlan: vlan, learned: learned) }
        }
        return ForwardingDecision(action: .flood, reason: .noOutput, outSlot: -1, vlan: vlan, header: header, learned: learned)
    }

    /// Why a flood of a frame of `vlan` from `inSlot` does not go out of `slot` (nil: it does).
    @inline(__always)
    static func floodExclusion(_ snap: ForwardingSnapshot, vlan: UInt16, to slot: Int, from inSlot: Int) -> DropReason? {
        if slot == inSlot { return .destinationOnIngress }
        let flags = snap.fast[slot].flags
        if flags & FastPort.mirrorOutput != 0 { return .mirrorOutput }
        if flags & FastPort.noForward != 0 { return .notForwarding }
        if flags & snap.fast[inSlot].flags & FastPort.isolated != 0 { return .isolated }
        return snap.carries(slot, vlan) ? nil : .egressFiltered
    }

    /// Why a flood of the frame of `decision` from `inSlot` skips `slot` (nil: it goes there);
    /// for `trace`'s explanations. The pipeline uses the same rule.
    public func floodExclusion(_ decision: ForwardingDecision, to slot: Int, from inSlot: Int) -> DropReason? {
        BridgeEngine.floodExclusion(snapshot, vlan: decision.vlan, to: slot, from: inSlot)
    }

    /// How the frame of `decision` must be tagged when it leaves `slot`.
    @inline(__always)
    static func edit(_ snap: ForwardingSnapshot, _ decision: ForwardingDecision, to slot: Int) -> EgressEdit {
        let port = snap.fast[slot]
        let tagged = !(port.flags & FastPort.untaggedEgress != 0 && decision.vlan == port.untaggedVLAN)
        return EgressEdit.forEgress(vlan: decision.vlan, header: decision.header, tagged: tagged)
    }

    /// Ages out stale entries; call about once a second.
    @discardableResult
    public func expire(now: Int64) -> Int {
        if arpSnoop.count > 0 { arpSnoop.expire(before: now - snapshot.agingMillis) }
        return table.expire(now: now)
    }
}
