// A seeded frame fuzzer over SwitchCore's decision pipeline (`BridgeEngine.decide` on a `FrameBatch`:
// parse, classify, learn, look up, outputs with egress edits), shared by the unit test `FuzzFrameTests`
// and the release-mode `tapestry-fuzz` (run by `Tools/fuzz`): generated and mutated frames go through a
// learning bridge (and a hub) with access, trunk and isolated ports, a mirror and two captures, and every decision and every output
// is checked against invariants written independently of the switch code.
import SwitchCore
import TapestryModel

/// SplitMix64: a small deterministic PRNG, so every run with one seed sees the same frames.
struct FuzzRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5E9_B5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    @inline(__always) mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    @inline(__always) mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

/// One invariant that broke, with the frame that broke it.
public struct FuzzViolation: CustomStringConvertible {
    public var kind: String
    public var detail: String
    public var frameHex: String
    public var description: String { "\(kind): \(detail)\n    frame: \(frameHex)" }
}

/// The fuzzer: owns two bridges (learning and hub) with the same ports, a frame buffer, an output
/// buffer and a ring of earlier frames to mutate. Nothing is allocated per frame.
public final class FrameFuzzer {
    static let maxFrame = 1600
    static let ringSize = 64

    /// Port layout: (name, vlan mode, isolated, max MACs).
    static func ports(variant: Int) -> [PortConfig] {
        func vid(_ n: Int) -> VLANID { VLANID(n)! }
        func set(_ t: String) -> VLANSet { try! VLANSet.parse(t) }
        var a1 = PortConfig(name: "a1", type: .tap, vlan: vid(10))
        let a2 = PortConfig(name: "a2", type: .tap, vlan: vid(10), isolated: true)
        let a3 = PortConfig(name: "a3", type: .tap, vlan: vid(20))
        let a4 = PortConfig(name: "a4", type: .tap, vlan: vid(20), isolated: variant % 2 == 0)
        // Trunk whose native (untagged) VLAN is the access ports' VLAN 10.
        let t1 = PortConfig(name: "t1", type: .tap, trunk: set("10,20,30"), native: vid(10), nativeMode: .untagged)
        // Default port: every VLAN, native 1 untagged.
        let t2 = PortConfig(name: "t2", type: .tap, isolated: variant == 1)
        // Isolated trunk whose native VLAN is tagged on the wire.
        let t3 = PortConfig(name: "t3", type: .tap, trunk: set("20,30"), native: vid(30), nativeMode: .tagged, isolated: true)
        // Trunk without a native VLAN: untagged frames are dropped.
        var t4 = PortConfig(name: "t4", type: .tap, trunk: set("10,20,4094"))
        var a5 = PortConfig(name: "a5", type: .tap, vlan: vid(variant == 2 ? 20 : 30))
        a1.maxMACs = 8
        t4.maxMACs = variant == 1 ? nil : 32
        a5.isolated = variant == 2
        // The output of a mirror of VLAN 20 and of t3's frames: it carries only copies.
        let m1 = PortConfig(name: "m1", type: .tap)
        var list = [a1, a2, a3, a4, t1, t2, t3, t4, a5, m1]
        if variant == 3 { list.remove(at: 2) } // a port leaves (its id stays unused)
        return list
    }

    static let portNames = ["a1", "a2", "a3", "a4", "t1", "t2", "t3", "t4", "a5", "m1"]
    static let staticMAC = MACAddress(rawValue: 0x5254_00FF_0001)

    static func config(variant: Int, mode: BridgeMode) -> BridgeConfig {
        BridgeConfig(name: "fz", mode: mode, macAging: 2, macTableSize: 128, ports: ports(variant: variant),
                     staticMACs: [StaticMAC(mac: staticMAC, vlan: VLANID(10)!, port: "t1")],
                     mirrors: [MirrorConfig(name: "fm", selectPorts: ["t3"], selectVLANs: [VLANID(20)!], output: "m1")])
    }

    /// Live captures: a1 in and out (watch 0), VLAN 30 anywhere (watch 1).
    static let watches = [CaptureWatch(port: ids["a1"], vlan: 0, incoming: true, outgoing: true),
                          CaptureWatch(port: nil, vlan: 30, incoming: true, outgoing: false)]

    static let ids: [String: UInt32] = Dictionary(uniqueKeysWithValues: portNames.enumerated().map { ($1, UInt32($0 + 1)) })

    let learning: BridgeEngine
    let hub: BridgeEngine
    let batch = FrameBatch(capacity: 1)
    var rng: FuzzRNG
    let buf: UnsafeMutableRawBufferPointer
    let out: UnsafeMutableRawBufferPointer
    let ring: UnsafeMutableRawBufferPointer
    var ringLength = [Int](repeating: 0, count: FrameFuzzer.ringSize)
    var ringNext = 0
    var pool: [UInt64] = []
    var now: Int64 = 0
    var variant = 0

    // Results.
    public internal(set) var frames = 0
    public internal(set) var drops = [Int](repeating: 0, count: DropReason.count)
    public internal(set) var unicasts = 0
    public internal(set) var floods = 0
    public internal(set) var floodsWithNoOutput = 0
    public internal(set) var deliveries = 0
    public internal(set) var mirrorCopiesChecked = 0
    public internal(set) var captureCopiesChecked = 0
    /// Frames that left an untagged port with an inner 802.1Q tag exposed (a priority tag was popped).
    public internal(set) var innerTagExposedOnAccess = 0
    /// Frames tagged with a VID on a trunk whose payload starts with another tag, sent out untagged-native
    /// (the classic double-tagging case that 802.1Q allows; configuration avoids it).
    public internal(set) var doubleTagFromTrunk = 0
    public internal(set) var violationCounts: [String: Int] = [:]
    public internal(set) var violations: [FuzzViolation] = []

    public init(seed: UInt64) {
        rng = FuzzRNG(seed: seed)
        learning = BridgeEngine(snapshot: ForwardingSnapshot(config: Self.config(variant: 0, mode: .learning), portIDs: Self.ids))
        hub = BridgeEngine(snapshot: ForwardingSnapshot(config: Self.config(variant: 0, mode: .hub), portIDs: Self.ids))
        learning.setCaptureWatches(Self.watches)
        hub.setCaptureWatches(Self.watches)
        buf = .allocate(byteCount: Self.maxFrame + 64, alignment: 16)
        out = .allocate(byteCount: Self.maxFrame + 64, alignment: 16)
        ring = .allocate(byteCount: Self.ringSize * (Self.maxFrame + 64), alignment: 16)
        buf.initializeMemory(as: UInt8.self, repeating: 0)
        out.initializeMemory(as: UInt8.self, repeating: 0)
        ring.initializeMemory(as: UInt8.self, repeating: 0)
        // A pool of unicast MACs so that destinations are often known and entries move between ports.
        for i in 0..<48 { pool.append(0x5254_0000_0000 | UInt64(i + 1) << 8 | UInt64(i)) }
        pool.append(Self.staticMAC.rawValue)
    }

    deinit { buf.deallocate(); out.deallocate(); ring.deallocate() }

    // MARK: frame generation

    @inline(__always) private func put(_ p: UnsafeMutableRawBufferPointer, _ at: Int, mac: UInt64) {
        for i in 0..<6 { p[at + i] = UInt8(truncatingIfNeeded: mac >> UInt64(40 - 8 * i)) }
    }

    private func randomDestination() -> UInt64 {
        switch rng.below(100) {
        case 0..<40: return pool[rng.below(pool.count)]
        case 40..<55: return 0xFFFF_FFFF_FFFF
        case 55..<65: return 0x0100_5E00_0000 | (rng.next() & 0x7F_FFFF)
        case 65..<70: return 0x0180_C200_0000 | UInt64(rng.below(16))
        case 70..<73: return 0
        default: return rng.next() & 0xFFFF_FFFF_FFFF
        }
    }

    private func randomSource() -> UInt64 {
        switch rng.below(100) {
        case 0..<70: return pool[rng.below(pool.count)]
        case 70..<78: return (rng.next() & 0xFFFF_FFFF_FFFF) | 0x0100_0000_0000
        case 78..<82: return 0
        default: return (rng.next() & 0xFEFF_FFFF_FFFF) | 0x0200_0000_0000
        }
    }

    private func randomVID() -> UInt16 {
        let common: [UInt16] = [0, 1, 10, 20, 30, 40, 4094, 4095]
        return rng.below(4) == 0 ? UInt16(rng.below(4096)) : common[rng.below(common.count)]
    }

    private func randomTPID() -> UInt16 {
        let tpids: [UInt16] = [0x8100, 0x8100, 0x8100, 0x88A8, 0x9100]
        return tpids[rng.below(tpids.count)]
    }

    /// Writes a structured frame into `buf`; returns its length.
    private func generate() -> Int {
        put(buf, 0, mac: randomDestination())
        put(buf, 6, mac: randomSource())
        var n = 12
        func tag(_ tpid: UInt16, _ vid: UInt16, _ pcp: UInt8) {
            let tci = UInt16(pcp & 7) << 13 | (vid & 0xFFF)
            buf[n] = UInt8(tpid >> 8); buf[n + 1] = UInt8(tpid & 0xFF)
            buf[n + 2] = UInt8(tci >> 8); buf[n + 3] = UInt8(tci & 0xFF)
            n += 4
        }
        switch rng.below(100) {
        case 0..<35: break // untagged
        case 35..<50: tag(0x8100, 0, UInt8(rng.below(8))) // priority-tagged
        case 50..<80: tag(0x8100, randomVID(), UInt8(rng.below(8)))
        case 80..<90: tag(0x8100, rng.below(2) == 0 ? 0 : randomVID(), UInt8(rng.below(8))); tag(randomTPID(), randomVID(), 0) // double tag
        default: tag(randomTPID(), randomVID(), UInt8(rng.below(8))) // S-tag or other TPID outside
        }
        let types: [UInt16] = [0x0800, 0x0806, 0x86DD, 0x8100, 0x88A8, 0x88B5]
        let et = rng.below(5) == 0 ? UInt16(truncatingIfNeeded: rng.next()) : types[rng.below(types.count)]
        buf[n] = UInt8(et >> 8); buf[n + 1] = UInt8(et & 0xFF); n += 2
        let payload = rng.below(10) == 0 ? rng.below(400) : rng.below(50)
        for i in 0..<payload { buf[n + i] = rng.byte() }
        n += payload
        // Sometimes cut it anywhere, including inside the header or the tag.
        if rng.below(12) == 0 { n = rng.below(n + 1) }
        return n
    }

    /// Copies an earlier frame into `buf` and mutates it; returns its length.
    private func mutate() -> Int {
        let r = rng.below(Self.ringSize)
        var n = ringLength[r]
        let stride = Self.maxFrame + 64
        for i in 0..<n { buf[i] = ring[r * stride + i] }
        let rounds = 1 + rng.below(4)
        for _ in 0..<rounds {
            switch rng.below(9) {
            case 0: if n > 0 { buf[rng.below(n)] ^= UInt8(1 << rng.below(8)) }
            case 1: if n > 0 { buf[rng.below(n)] = rng.byte() }
            case 2: n = rng.below(n + 1) // truncate
            case 3: // extend
                let add = rng.below(40)
                if n + add <= Self.maxFrame { for i in 0..<add { buf[n + i] = rng.byte() }; n += add }
            case 4: // a TPID at the ethertype or at the inner ethertype
                let at = rng.below(2) == 0 ? 12 : 16
                if n >= at + 2 { let t = randomTPID(); buf[at] = UInt8(t >> 8); buf[at + 1] = UInt8(t & 0xFF) }
            case 5: // a new VID in the outer tag
                if n >= 16 { let v = randomVID(); buf[14] = (buf[14] & 0xF0) | UInt8(v >> 8); buf[15] = UInt8(v & 0xFF) }
            case 6: if n >= 12 { put(buf, rng.below(2) * 6, mac: pool[rng.below(pool.count)]) }
            case 7: if n >= 6 { put(buf, 0, mac: randomDestination()) }
            default: if n >= 12 { put(buf, 6, mac: randomSource()) }
            }
        }
        return n
    }

    private func remember(_ n: Int) {
        let stride = Self.maxFrame + 64
        let r = ringNext
        ringNext = (ringNext + 1) % Self.ringSize
        for i in 0..<n { ring[r * stride + i] = buf[i] }
        ringLength[r] = n
    }

    private func nextFrame() -> Int {
        switch rng.below(100) {
        case 0..<55:
            let n = generate()
            remember(n)
            return n
        case 55..<95: return mutate()
        default:
            let n = rng.below(64)
            for i in 0..<n { buf[i] = rng.byte() }
            return n
        }
    }

    // MARK: checks

    private func hex(_ n: Int) -> String {
        var s = ""
        for i in 0..<min(n, 40) { let b = buf[i]; s += (b < 16 ? "0" : "") + String(b, radix: 16) }
        return n > 40 ? s + "…(\(n) bytes)" : s
    }

    private func violation(_ kind: String, _ detail: @autoclosure () -> String, _ n: Int) {
        violationCounts[kind, default: 0] += 1
        if violationCounts[kind]! <= 3 { violations.append(FuzzViolation(kind: kind, detail: detail(), frameHex: hex(n))) }
    }

    @inline(__always) private func be16(_ p: UnsafeMutableRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(p[at]) << 8 | UInt16(p[at + 1])
    }

    /// The VLAN an independent reading of the raw bytes puts the frame in at `policy`, or nil (dropped).
    private func expectedVLAN(_ n: Int, _ policy: VLANPolicy) -> UInt16? {
        if n >= 16 && be16(buf, 12) == 0x8100 {
            let vid = be16(buf, 14) & 0xFFF
            if vid != 0 {
                if policy.isAccess { return nil }
                return policy.members.contains(vid) ? vid : nil
            }
        }
        return policy.untaggedVLAN == 0 ? nil : policy.untaggedVLAN
    }

    /// Builds the frame as it leaves `slot` into `out` (the edit the pipeline listed) and checks it.
    private func checkEgress(_ e: BridgeEngine, _ d: ForwardingDecision, in n: Int, to slot: Int, edit: EgressEdit, from inSlot: Int) {
        let ports = e.snapshot.ports
        let p = ports[slot]
        if slot == inSlot { violation("back-out-ingress", "\(p.name)", n) }
        if !p.vlan.carries(d.vlan) { violation("vlan-not-carried", "vlan \(d.vlan) out of \(p.name)", n) }
        if p.isolated && ports[inSlot].isolated {
            violation("isolated-to-isolated", "\(ports[inSlot].name) → \(p.name)", n)
        }
        if p.isMirrorOutput { violation("to-mirror-output", p.name, n) }
        var m = n
        switch edit {
        case .none: for i in 0..<n { out[i] = buf[i] }
        case .push(let tci):
            for i in 0..<12 { out[i] = buf[i] }
            out[12] = 0x81; out[13] = 0x00; out[14] = UInt8(tci >> 8); out[15] = UInt8(tci & 0xFF)
            for i in 12..<n { out[i + 4] = buf[i] }
            m = n + 4
        case .pop:
            if n < 16 { violation("pop-of-short-frame", "\(n) bytes", n); return }
            for i in 0..<12 { out[i] = buf[i] }
            for i in 16..<n { out[i - 4] = buf[i] }
            m = n - 4
        case .retag(let tci):
            if n < 16 || be16(buf, 12) != 0x8100 { violation("retag-of-untagged", "\(n) bytes", n); return }
            for i in 0..<n { out[i] = buf[i] }
            out[14] = UInt8(tci >> 8); out[15] = UInt8(tci & 0xFF)
        }
        deliveries += 1
        if case .pop = edit, m >= 14, [0x8100, 0x88A8].contains(be16(out, 12)) {
            // Popping the outer tag made an inner tag the outer one: a peer of this port reads the frame
            // in another VLAN (or as a broken tag) instead of the untagged VLAN the switch chose.
            if p.vlan.isAccess {
                innerTagExposedOnAccess += 1 // reaches a host of the right VLAN only
            } else if d.header.tagVID == 0 {
                violation("vlan-hop-priority-tag", "vlan \(d.vlan) from \(ports[inSlot].name) left \(p.name) (native untagged) "
                          + "with inner tag 0x\(String(be16(out, 12), radix: 16)) vid \(m >= 16 ? be16(out, 14) & 0xFFF : 0)", n)
            } else {
                doubleTagFromTrunk += 1 // 802.1Q-conformant; avoided with --native-mode tagged
            }
            return
        }
        let parsed = FrameHeader.parse(UnsafeRawBufferPointer(start: out.baseAddress, count: m))
        guard case .success(let h) = parsed else { violation("egress-unparsable", "\(edit) to \(p.name)", n); return }
        if h.destination != d.header.destination || h.source != d.header.source {
            violation("egress-mac-changed", "to \(p.name)", n)
        }
        if p.vlan.egressTagged(d.vlan) {
            if !h.isTagged || h.tagVID != d.vlan {
                violation("egress-wrong-tag", "vlan \(d.vlan) to \(p.name) left as \(h.isTagged ? "vid \(h.tagVID)" : "untagged")", n)
            }
            if h.tagPCP != d.header.tagPCP { violation("egress-pcp-lost", "to \(p.name)", n) }
        } else if h.isTagged {
            violation("egress-untagged-has-tag", "vlan \(d.vlan) to \(p.name) left with vid \(h.tagVID)", n)
        }
    }

    private func check(_ e: BridgeEngine, _ d: ForwardingDecision, _ outputs: UnsafeBufferPointer<FrameOutput>, in n: Int, inSlot: Int) {
        let ports = e.snapshot.ports
        let inPort = ports[inSlot]
        checkCopies(e, d, outputs, in: n, inSlot: inSlot)
        var forwardCount = 0
        for o in outputs where o.kind == .forward { forwardCount += 1 }
        if d.action == .drop {
            if forwardCount > 0 { violation("dropped-but-sent", "\(d.reason.name), \(forwardCount) forwards", n) }
            drops[Int(d.reason.rawValue)] += 1
            // A drop for a VLAN reason must agree with an independent reading of the bytes.
            if d.reason == .taggedOnAccess || d.reason == .vlanNotAllowed || d.reason == .untaggedOnTrunk {
                if let v = expectedVLAN(n, inPort.vlan) { violation("wrong-vlan-drop", "\(d.reason.name) but vlan \(v)", n) }
            }
            return
        }
        // Classification: the frame stays in a VLAN its ingress port carries, as the bytes say.
        if !(1...4094).contains(d.vlan) { violation("invalid-vlan", "\(d.vlan)", n) }
        if !inPort.vlan.carries(d.vlan) { violation("ingress-vlan-not-carried", "\(d.vlan) on \(inPort.name)", n) }
        if inPort.vlan.isAccess && d.vlan != inPort.vlan.untaggedVLAN {
            violation("access-left-its-vlan", "\(inPort.name) classified \(d.vlan)", n)
        }
        let expected = expectedVLAN(n, inPort.vlan)
        if expected != d.vlan { violation("classification", "got \(d.vlan), bytes say \(expected.map(String.init) ?? "drop")", n) }
        if !d.header.source.isValidSource { violation("invalid-source-forwarded", "\(d.header.source)", n) }
        if d.header.destination.isReservedGroup { violation("reserved-group-forwarded", "\(d.header.destination)", n) }
        if inPort.isMirrorOutput { violation("from-mirror-output", inPort.name, n) }
        switch d.action {
        case .unicast:
            unicasts += 1
            guard d.outSlot >= 0 && d.outSlot < ports.count else { violation("bad-out-slot", "\(d.outSlot)", n); return }
            if e.snapshot.mode == .hub { violation("unicast-in-hub", "", n) }
            for o in outputs where o.kind == .forward {
                guard forwardCount == 1, Int(o.target) == d.outSlot else {
                    violation("unicast-outputs", "\(forwardCount) forwards for a unicast to slot \(d.outSlot)", n)
                    return
                }
                checkEgress(e, d, in: n, to: d.outSlot, edit: o.edit, from: inSlot)
            }
            if forwardCount == 0 { violation("unicast-outputs", "no forward for a unicast to slot \(d.outSlot)", n) }
        case .flood:
            floods += 1
            // Every port that should get the flood gets it once, by an independent reading of the ports.
            var expected = 0
            for (slot, p) in ports.enumerated() where slot != inSlot && p.vlan.carries(d.vlan) && !p.isMirrorOutput
                && !(p.isolated && inPort.isolated) { expected |= 1 << slot }
            var seen = 0
            for o in outputs where o.kind == .forward {
                let slot = Int(o.target)
                guard slot >= 0 && slot < ports.count else { violation("bad-out-slot", "\(slot)", n); continue }
                if seen & (1 << slot) != 0 { violation("flood-duplicate", ports[slot].name, n) }
                seen |= 1 << slot
                checkEgress(e, d, in: n, to: slot, edit: o.edit, from: inSlot)
            }
            if seen != expected { violation("flood-set", "reached \(String(seen, radix: 2)), expected \(String(expected, radix: 2))", n) }
            if forwardCount == 0 { floodsWithNoOutput += 1 }
        case .drop: break
        case .control: violation("control-without-stp", "\(d.header.destination)", n)  // no bridge here runs STP
        case .answered: violation("answered-without-suppression", "\(d.header.destination)", n)  // no bridge here suppresses ARP
        }
        // Learning: a forwarded frame's source is now on its ingress port (unless pinned by a static entry).
        if e.snapshot.mode == .learning, d.header.source != Self.staticMAC,
           e.table.lookup(d.header.source, vlan: d.vlan) != inPort.id {
            violation("not-learned", "\(d.header.source) vlan \(d.vlan) on \(inPort.name)", n)
        }
        // The learning update the pipeline reports: made in a learning bridge, unless a static entry pins the source.
        let pinned = d.header.source == Self.staticMAC && d.vlan == 10
        if d.learned != (e.snapshot.mode == .learning && !pinned) {
            violation("learning-update", "reported \(d.learned) for \(d.header.source) vlan \(d.vlan) in \(e.snapshot.mode)", n)
        }
        if d.header.source == Self.staticMAC, d.vlan == 10, e.table.lookup(Self.staticMAC, vlan: 10) != Self.ids["t1"] {
            violation("static-moved", "by \(inPort.name)", n)
        }
    }

    /// Mirror and capture copies, against an independent reading of the mirror and the watches.
    private func checkCopies(_ e: BridgeEngine, _ d: ForwardingDecision, _ outputs: UnsafeBufferPointer<FrameOutput>,
                             in n: Int, inSlot: Int) {
        let ports = e.snapshot.ports
        let a1 = e.snapshot.slot(of: Self.ids["a1"] ?? 0), t3 = e.snapshot.slot(of: Self.ids["t3"] ?? 0)
        let m1 = e.snapshot.slot(of: Self.ids["m1"] ?? 0)
        var copiesA1 = 0, copiesV30 = 0, copiesOut = 0, mirrorCopies = 0, forwardsToA1 = 0, touchesT3 = inSlot == t3
        var lastForward = -1, firstMirror = Int.max
        for (k, o) in outputs.enumerated() {
            switch o.kind {
            case .forward:
                lastForward = k
                if Int(o.target) == t3 { touchesT3 = true }
                if Int(o.target) == a1 {
                    forwardsToA1 += 1
                    // Its outgoing capture copy comes right before it, edited the same way.
                    if k == 0 || outputs[k - 1].kind != .captureOutgoing || outputs[k - 1].target != 0 || outputs[k - 1].edit != o.edit {
                        violation("capture-out-missing", "forward to a1 without its copy before it", n)
                    }
                }
            case .mirror:
                mirrorCopies += 1
                firstMirror = min(firstMirror, k)
                if Int(o.target) != m1 || o.edit != .none { violation("mirror-copy", "to \(o.target) with \(o.edit)", n) }
            case .captureIncoming:
                guard o.target == 0 || o.target == 1 else { violation("capture-target", "\(o.target)", n); continue }
                if o.target == 0 { copiesA1 += 1 } else { copiesV30 += 1 }
                if o.target == 0 && o.edit != .none { violation("capture-in-edited", "\(o.edit) on a1", n) }
                if o.target == 1 {
                    // A VLAN capture shows the frame tagged with its VLAN.
                    let vid: UInt16
                    switch o.edit {
                    case .push(let tci), .retag(let tci): vid = tci & 0xFFF
                    case .none: vid = d.header.isTagged ? d.header.tagVID : 0
                    case .pop: vid = 0
                    }
                    if vid != d.vlan { violation("capture-vlan-tag", "copy of VLAN \(d.vlan) tagged \(vid)", n) }
                }
            case .captureOutgoing:
                copiesOut += 1
                if o.target != 0 { violation("capture-out-target", "\(o.target)", n) }
            case .control:
                violation("control-output", "no bridge here runs STP", n)
            case .reply, .captureReply:
                violation("reply-output", "no bridge here suppresses ARP", n)
            }
        }
        let forwarded = d.isForwarded
        if copiesA1 != (inSlot == a1 ? 1 : 0) { violation("capture-in-port", "\(copiesA1) copies, in on \(ports[inSlot].name)", n) }
        if copiesV30 != (forwarded && d.vlan == 30 ? 1 : 0) { violation("capture-in-vlan", "\(copiesV30) copies of VLAN \(d.vlan)", n) }
        if copiesOut != forwardsToA1 { violation("capture-out-count", "\(copiesOut) copies, \(forwardsToA1) forwards to a1", n) }
        let mirrored = forwarded && (d.vlan == 20 || touchesT3)
        if mirrorCopies != (mirrored ? 1 : 0) { violation("mirror-selection", "\(mirrorCopies) copies, expected \(mirrored ? 1 : 0)", n) }
        if mirrorCopies > 0 && firstMirror < lastForward { violation("mirror-order", "a copy before a forward", n) }
        mirrorCopiesChecked += mirrorCopies
        captureCopiesChecked += copiesA1 + copiesV30 + copiesOut
    }

    private func checkTable(_ e: BridgeEngine) {
        let t = e.table
        if t.learnedCount > t.capacity { violation("table-over-cap", "\(t.learnedCount) > \(t.capacity)", 0) }
        for p in e.snapshot.ports {
            if let limit = p.maxMACs, t.count(of: p.id) > limit {
                violation("port-over-limit", "\(p.name) holds \(t.count(of: p.id)) > \(limit)", 0)
            }
        }
        let sum = e.snapshot.ports.reduce(0) { $0 + t.count(of: $1.id) }
        if sum > t.learnedCount { violation("table-counts", "ports hold \(sum), table \(t.learnedCount)", 0) }
    }

    /// Runs `count` frames.
    public func run(_ count: Int) {
        for i in 0..<count {
            let n = nextFrame()
            let e = (i & 7) == 7 ? hub : learning
            let inSlot = rng.below(e.snapshot.ports.count)
            now += 1 // 1 ms a frame; entries age out after 2 s
            batch.removeAll()
            batch.append(UnsafeRawBufferPointer(start: buf.baseAddress, count: n))
            e.decide(batch, inSlot: inSlot, now: now)
            check(e, batch.decision(0), batch.outputs(0), in: n, inSlot: inSlot)
            frames += 1
            if i % 1000 == 999 { learning.expire(now: now); hub.expire(now: now) }
            if i % 50_000 == 49_999 {
                checkTable(learning)
                variant = (variant + 1) % 4
                learning.install(ForwardingSnapshot(config: Self.config(variant: variant, mode: .learning), portIDs: Self.ids))
                hub.install(ForwardingSnapshot(config: Self.config(variant: variant, mode: .hub), portIDs: Self.ids))
                checkTable(learning)
            }
        }
        checkTable(learning)
    }

    /// Drops by reason name (non-zero only).
    public var dropsByName: [(String, Int)] {
        DropReason.allCases.compactMap { r in drops[Int(r.rawValue)] > 0 ? (r.name, drops[Int(r.rawValue)]) : nil }
    }

    public var totalViolations: Int { violationCounts.values.reduce(0, +) }
}
