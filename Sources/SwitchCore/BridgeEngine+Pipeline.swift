// The decision pipeline: one batch of frames of one port in, per frame a decision and the list of
// outputs out. In order, per frame:
//
//   parse (Ethernet + outer 802.1Q) → filter (runt, bad source, reserved group — a BPDU is trapped for
//   the control plane when the bridge runs spanning tree —, mirror output) →
//   classify into a VLAN (VLANPolicy.classify over the packed port facts) → learn the source
//   (MACLearningTable; trace passes learning: false) → look up the destination (unicast, or flood
//   when unknown / multicast / hub) → filter the egress (isolation, VLAN membership, mirror outputs)
//   → list the outputs: capture copies of what arrived, then per output port its outgoing capture
//   copies and the frame with its tag edit (and tunnel remote), then mirror copies.
//   On a port with ARP suppression (one flag per batch), after the lookup: ARP senders are snooped
//   and a broadcast request for a bound IP is answered — one reply output back out of the ingress
//   port (BridgeEngine+ARPSuppression.swift), nothing flooded.
//
// A frame whose first 18 bytes (all that parse reads: addresses, EtherType or tag and inner EtherType;
// both frames at least 18 bytes long) and tunnel remote equal the previous frame's — one flow's burst —
// gets the previous frame's decision and a copy of its outputs instead (Open vSwitch's exact-match
// cache, for one entry): the decision depends on nothing else of the frame, the previous frame left
// the table as this one would (its source learned or refreshed on this port and remote at `now`, so
// learning it again changes nothing and reports the same `learned`), and the lookup sees the same
// table. Only a drop, unicast or flood is reused (not `.control`, `.answered`); not on a port with
// ARP suppression (reads the ARP payload, snoops) or storm control (takes a token per flood). On a
// port with port security (which reads further: every untrusted tap has the DHCP/RA guard) each
// frame is still checked (`admit`), and only an admitted frame reuses, and only a unicast or flood.
// With other threads deciding the same bridge, the frame is decided as if right after the previous
// one, with no other thread's learning in between.
//
// The caller walks `FrameBatch.outputs(i)` front to back and does the I/O. Nothing here allocates
// (but a new binding in the ARP snoop table, bounded by the MAC table's size): the batch's storage,
// its reply buffers included, is the caller's and reused; the snapshot is read once per batch.

import TapestryModel

extension BridgeEngine {
    /// Decides every frame of `batch`, which arrived on slot `inSlot` at `now` (ms): fills the
    /// batch's decisions and outputs. Learns sources unless `learning` is false (trace).
    public func decide(_ batch: FrameBatch, inSlot: Int, now: Int64, learning: Bool = true) {
        // The snapshot unretained: it lives as long as the engine's configuration, which changes
        // only while no thread decides; retaining it per batch would write its reference count, on
        // a line every thread deciding this bridge reads (so would the port policy's, see FastPort).
        snapshotRef._withUnsafeGuaranteedRef { decide(batch, $0, inSlot: inSlot, now: now, learning: learning) }
    }

    @inline(__always)
    private func decide(_ batch: FrameBatch, _ snap: ForwardingSnapshot, inSlot: Int, now: Int64, learning: Bool) {
        let portCount = snap.ports.count
        precondition(inSlot >= 0 && inSlot < portCount, "slot \(inSlot) is not a port of bridge \(snap.bridge)")
        let watches = slotWatches
        let mirrors = snap.mirrors
        let trap = trapsSpanningTree
        // The most outputs one frame can have: every port, every mirror, and per capture one copy
        // in and one per port out.
        let perFrame = portCount + mirrors.count + watches.count * (portCount + 1)
        let n = batch.count
        // Per batch, not per frame: the ingress port's policy (one reference, no counting per frame) and the clock.
        let policy = snap.fast[inSlot].flags & FastPort.policed != 0 ? snap.fast[inSlot].policy : nil
        let nanos = batch.clockNanos != 0 ? batch.clockNanos : now &* 1_000_000
        let table = tableRef
        // ARP suppression: one flag of the ingress port per batch; only its ARP frames look further.
        let suppressesARP = snap.fast[inSlot].flags & FastPort.arpSuppress != 0
        // Reusing the previous frame's decision (see the top of the file): the previous frame's
        // bytes when its decision may be reused, and its remote.
        let reuses = !suppressesARP && !(policy?._withUnsafeGuaranteedRef { $0.hasStormControl } ?? false)
        let reusesDrops = reuses && policy == nil
        var last: UnsafeRawPointer? = nil
        var lastRemote: UInt32 = 0
        var o = 0
        for i in 0..<n {
            let out = batch.reserveOutputs(used: o, perFrame: perFrame)
            batch.bounds[i] = Int32(truncatingIfNeeded: o)
            let frame = batch.frames[i], remote = batch.remotes[i]
            if let p = last, remote == lastRemote, frame.count >= FrameHeader.reuseLength, let q = frame.baseAddress,
               FrameHeader.sameFirst18(q, p), BridgeEngine.reuse(batch, i, policy: policy, out, &o) {
                continue
            }
            var d = decideFrame(frame, snap, inSlot: inSlot, inRemote: remote, now: now,
                                nanos: nanos, policy: policy, table: table, learning: learning)
            if trap && d.action == .drop && d.reason == .reservedGroup && d.header.destination == MACAddress.spanningTreeGroup {
                d.action = .control
            }
            // `d` is handed over by value and changed here: taking its address (inout) would keep
            // every frame's decision in memory, suppression or not (+17 instructions per frame).
            if suppressesARP && d.isForwarded {
                let length = suppressARP(batch.frames[i], d, snap, inSlot: inSlot, now: now, learning: learning, reply: batch.replyBuffer(i))
                batch.replyLengths[i] = Int32(truncatingIfNeeded: length)
                if length > 0 { d.action = .answered }
            }
            batch.decisions[i] = d
            // (A drop on a port with a policy may be port security's, which the next frame may pass.)
            last = (d.isForwarded ? reuses : d.action == .drop && reusesDrops) && frame.count >= FrameHeader.reuseLength
                ? frame.baseAddress : nil
            lastRemote = remote
            if !watches.isEmpty { captureIncoming(d, watches, inSlot: inSlot, out, &o) }
            switch d.action {
            case .drop: break
            case .control:
                out[o] = FrameOutput(kind: .control, target: Int32(truncatingIfNeeded: inSlot))
                o += 1
            case .answered:
                let edit = BridgeEngine.replyEdit(snap, d, to: inSlot)
                for (k, w) in watches.enumerated() where w.slot == inSlot && w.outgoing && (w.vlan == 0 || w.vlan == d.vlan) {
                    out[o] = FrameOutput(kind: .captureReply, target: Int32(k), edit: edit)
                    o += 1
                }
                out[o] = FrameOutput(kind: .reply, target: Int32(truncatingIfNeeded: inSlot), edit: edit)
                o += 1
            case .unicast:
                forward(d, snap, watches, to: d.outSlot, remote: d.outRemote, out, &o)
            case .flood:
                for slot in 0..<portCount where BridgeEngine.floodExclusion(snap, vlan: d.vlan, to: slot, from: inSlot) == nil {
                    forward(d, snap, watches, to: slot, remote: 0, out, &o)
                }
            }
            if !mirrors.isEmpty && d.isForwarded {
                mirror(d, mirrors, inSlot: inSlot, out, first: Int(batch.bounds[i]), &o)
            }
        }
        batch.bounds[n] = Int32(truncatingIfNeeded: o)
    }

    /// Gives frame `i` the decision and a copy of the outputs of frame `i - 1`, whose first 18
    /// bytes and remote it has, unless `policy`'s port security refuses it (then false: decide it).
    /// Frame i - 1 listed at most `perFrame` outputs, the room reserved for frame i.
    @inline(never)
    private static func reuse(_ batch: FrameBatch, _ i: Int, policy: Unmanaged<PortPolicyState>?,
                              _ out: UnsafeMutablePointer<FrameOutput>, _ o: inout Int) -> Bool {
        let d = batch.decisions[i &- 1]
        if let policy, policy._withUnsafeGuaranteedRef({ $0.admit(batch.frames[i], source: d.header.source.rawValue) }) != nil {
            return false
        }
        batch.decisions[i] = d
        let first = Int(batch.bounds[i &- 1]), end = o
        for k in first..<end { out[o] = out[k]; o &+= 1 }
        return true
    }

    /// The frame out of `slot`, preceded by the copies for captures of that port's outgoing frames.
    @inline(__always)
    private func forward(_ d: ForwardingDecision, _ snap: ForwardingSnapshot, _ watches: [SlotWatch], to slot: Int,
                         remote: UInt32, _ out: UnsafeMutablePointer<FrameOutput>, _ o: inout Int) {
        let edit = BridgeEngine.edit(snap, d, to: slot)
        if !watches.isEmpty {
            for (k, w) in watches.enumerated() where w.slot == slot && w.outgoing && (w.vlan == 0 || w.vlan == d.vlan) {
                out[o] = FrameOutput(kind: .captureOutgoing, target: Int32(k), edit: edit)
                o += 1
            }
        }
        out[o] = FrameOutput(kind: .forward, target: Int32(truncatingIfNeeded: slot), edit: edit, remote: remote)
        o += 1
    }

    /// Copies for captures of the ingress port (as received, dropped frames too) and of the
    /// frame's VLAN (forwarded frames, tagged with their VLAN).
    private func captureIncoming(_ d: ForwardingDecision, _ watches: [SlotWatch], inSlot: Int,
                                 _ out: UnsafeMutablePointer<FrameOutput>, _ o: inout Int) {
        for (k, w) in watches.enumerated() {
            if w.slot == inSlot {
                guard w.incoming && (w.vlan == 0 || w.vlan == d.vlan) else { continue }
                out[o] = FrameOutput(kind: .captureIncoming, target: Int32(k))
                o += 1
            } else if w.slot == SlotWatch.anySlot && d.isForwarded && w.vlan == d.vlan {
                out[o] = FrameOutput(kind: .captureIncoming, target: Int32(k),
                                     edit: EgressEdit.forEgress(vlan: d.vlan, header: d.header, tagged: true))
                o += 1
            }
        }
    }

    /// Unedited copies to the output of every mirror that selects the frame: all frames, its VLAN,
    /// or a port it enters or leaves by (the forwards already listed from `first`).
    private func mirror(_ d: ForwardingDecision, _ mirrors: [MirrorRule], inSlot: Int,
                        _ out: UnsafeMutablePointer<FrameOutput>, first: Int, _ o: inout Int) {
        let end = o
        for rule in mirrors {
            var selected = rule.selectAll || rule.vlans.contains(d.vlan)
            if !selected {
                for s in rule.slots {
                    if s == inSlot { selected = true; break }
                    for k in first..<end where out[k].kind == .forward && Int(out[k].target) == s { selected = true; break }
                    if selected { break }
                }
            }
            if selected {
                out[o] = FrameOutput(kind: .mirror, target: Int32(truncatingIfNeeded: rule.outSlot))
                o += 1
            }
        }
    }
}
