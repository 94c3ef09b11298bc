import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// 802.1Q behaviour of every access / trunk / native combination, checked on the exact bytes that leave each port.
///
/// The expected results come from a small independent model of the rules (OVS `vlan_mode` access / trunk /
/// native-untagged / native-tagged), not from the code under test.
@Suite("VLAN access / trunk / native")
struct VLANAccessTrunkTests {
    /// One port's 802.1Q role in the model.
    struct Kind: Sendable, CustomStringConvertible {
        var name: String
        var access: UInt16? = nil
        var allowed: [UInt16]? = nil   // nil = every VLAN
        var native: UInt16? = nil
        var nativeTagged = false

        var description: String { name }

        var config: PortConfig {
            if let access { return T.access(name, Int(access)) }
            if allowed == nil && native == nil { return T.plain(name) }  // default: all, native 1 untagged
            return T.trunk(name, allowed.map { $0.map(String.init).joined(separator: ",") },
                           native: native.map(Int.init), mode: native == nil ? nil : (nativeTagged ? .tagged : .untagged))
        }

        var effectiveNative: UInt16? { access ?? native ?? (allowed == nil ? 1 : nil) }

        func carries(_ v: UInt16) -> Bool {
            if let access { return v == access }
            if v == native { return true }
            if let allowed { return allowed.contains(v) }
            return (1...4094).contains(v)
        }

        /// Nil: leaves untagged; else tagged.
        func sendsTagged(_ v: UInt16) -> Bool {
            if access != nil { return false }
            if v == effectiveNative && !nativeTagged { return false }
            return true
        }

        /// The VLAN a frame joins on arrival, or why it is dropped.
        func classify(_ e: Encoding) -> Result<UInt16, DropReason> {
            if case .tagged(let vid, _) = e, vid != 0 {
                if access != nil { return .failure(.taggedOnAccess) }
                return carries(vid) ? .success(vid) : .failure(.vlanNotAllowed)
            }
            if let n = effectiveNative { return .success(n) }
            return .failure(.untaggedOnTrunk)
        }
    }

    enum Encoding: Sendable, CustomStringConvertible {
        case untagged
        case tagged(vid: UInt16, pcp: UInt8)   // vid 0 = priority tag
        var pcp: UInt8 { if case .tagged(_, let p) = self { return p } else { return 0 } }
        var description: String {
            switch self {
            case .untagged: "untagged"
            case .tagged(let v, let p): v == 0 ? "priority-tagged pcp \(p)" : "tagged \(v) pcp \(p)"
            }
        }
        func frame(dst: MACAddress, src: MACAddress) -> [UInt8] {
            switch self {
            case .untagged: FrameBuilder.ethernet(dst: dst, src: src)
            case .tagged(let v, let p): FrameBuilder.ethernet(dst: dst, src: src, vlan: v, pcp: p)
            }
        }
    }

    static let kinds: [Kind] = [
        Kind(name: "a10", access: 10),
        Kind(name: "a20", access: 20),
        Kind(name: "t1020", allowed: [10, 20]),
        Kind(name: "n10u", allowed: [20], native: 10),
        Kind(name: "n10t", allowed: [20], native: 10, nativeTagged: true),
        Kind(name: "n20t", allowed: [10, 20, 30], native: 20, nativeTagged: true),
        Kind(name: "tall"),
        Kind(name: "allN30", native: 30),
        Kind(name: "t30", allowed: [30]),
    ]

    static let encodings: [Encoding] = [
        .untagged, .tagged(vid: 0, pcp: 5), .tagged(vid: 10, pcp: 3), .tagged(vid: 20, pcp: 0),
        .tagged(vid: 30, pcp: 7), .tagged(vid: 1, pcp: 2), .tagged(vid: 4094, pcp: 1), .tagged(vid: 4095, pcp: 4),
        .tagged(vid: 99, pcp: 6),
    ]

    func makeSwitch() -> InMemorySwitch { T.bridge(Self.kinds.map(\.config)) }

    func expectedBytes(dst: MACAddress, src: MACAddress, vlan: UInt16, pcp: UInt8, on k: Kind) -> [UInt8] {
        k.sendsTagged(vlan) ? FrameBuilder.ethernet(dst: dst, src: src, vlan: vlan, pcp: pcp)
            : FrameBuilder.ethernet(dst: dst, src: src)
    }

    @Test("flood: every ingress kind × encoding, exact bytes on every egress", arguments: kinds, encodings)
    func floodMatrix(ingress: Kind, encoding: Encoding) {
        let sw = makeSwitch()
        let src = T.mac(0x1), dst = MACAddress.broadcast
        let out = sw.inject(encoding.frame(dst: dst, src: src), on: ingress.name)
        switch ingress.classify(encoding) {
        case .failure(let reason):
            #expect(out.isEmpty)
            #expect(sw.dropCount(ingress.name, reason) == 1)
            #expect(sw.engine.table.learnedCount == 0)
        case .success(let vlan):
            let expectedPorts = Self.kinds.filter { $0.name != ingress.name && $0.carries(vlan) }.map(\.name).sorted()
            #expect(T.ports(out) == expectedPorts)
            for o in out {
                let k = Self.kinds.first { $0.name == o.port }!
                #expect(o.frame == expectedBytes(dst: dst, src: src, vlan: vlan, pcp: encoding.pcp, on: k),
                        "egress \(k.name) vlan \(vlan)")
            }
            #expect(sw.engine.table.lookup(src, vlan: vlan) == sw.portID(ingress.name))
            #expect(sw.drops[ingress.name] == nil)
        }
    }

    @Test("known unicast: every ingress kind × encoding × egress, exact bytes", arguments: kinds, encodings)
    func unicastMatrix(ingress: Kind, encoding: Encoding) {
        guard case .success(let vlan) = ingress.classify(encoding) else { return }  // drops covered above
        let src = T.mac(0x1), dst = T.mac(0x2)
        for egress in Self.kinds where egress.name != ingress.name && egress.carries(vlan) {
            let sw = makeSwitch()
            // dst speaks first from the egress port, in the VLAN, as that port carries it.
            let hello: Encoding = egress.sendsTagged(vlan) ? .tagged(vid: vlan, pcp: 0) : .untagged
            sw.inject(hello.frame(dst: .broadcast, src: dst), on: egress.name)
            #expect(sw.engine.table.lookup(dst, vlan: vlan) == sw.portID(egress.name))
            let out = sw.inject(encoding.frame(dst: dst, src: src), on: ingress.name)
            #expect(T.ports(out) == [egress.name], "\(ingress.name) → \(egress.name)")
            #expect(out.first?.frame == expectedBytes(dst: dst, src: src, vlan: vlan, pcp: encoding.pcp, on: egress),
                    "\(ingress.name) → \(egress.name) vlan \(vlan)")
        }
    }

    // MARK: - the same rules spelled out byte by byte

    let payload: [UInt8] = [0x45, 0x00, 0x00, 0x1c, 0xde, 0xad, 0xbe, 0xef]
    let dstBytes: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    let srcBytes: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x01]

    func bytesOut(_ sw: InMemorySwitch, _ frame: [UInt8], on port: String, to egress: String) -> [UInt8]? {
        sw.inject(frame, on: port).first { $0.port == egress }?.frame
    }

    @Test func accessToTrunkPushesTagWithVLANAndZeroPCP() {
        let sw = T.bridge([T.access("a", 10), T.trunk("t", "10")])
        let untagged = dstBytes + srcBytes + [0x08, 0x00] + payload
        #expect(bytesOut(sw, untagged, on: "a", to: "t") == dstBytes + srcBytes + [0x81, 0x00, 0x00, 0x0a, 0x08, 0x00] + payload)
    }

    @Test func trunkToAccessPopsTheTag() {
        let sw = T.bridge([T.access("a", 4094), T.trunk("t", "4094")])
        let tagged = dstBytes + srcBytes + [0x81, 0x00, 0xaf, 0xfe, 0x86, 0xdd] + payload  // pcp 5, vid 4094
        #expect(bytesOut(sw, tagged, on: "t", to: "a") == dstBytes + srcBytes + [0x86, 0xdd] + payload)
    }

    @Test func trunkToTrunkKeepsTagAndPCPUntouched() {
        let sw = T.bridge([T.trunk("t1", "100"), T.trunk("t2", "1-200")])
        let tagged = dstBytes + srcBytes + [0x81, 0x00, 0xe0, 0x64, 0x08, 0x06] + payload  // pcp 7, vid 100
        #expect(bytesOut(sw, tagged, on: "t1", to: "t2") == tagged)
    }

    @Test func priorityTaggedOnAccessIsRetaggedWithPCPKept() {
        let sw = T.bridge([T.access("a", 10), T.trunk("t", "10"), T.access("b", 10)])
        let prio = dstBytes + srcBytes + [0x81, 0x00, 0xc0, 0x00, 0x08, 0x00] + payload  // pcp 6, vid 0
        let out = sw.inject(prio, on: "a")
        #expect(out.first { $0.port == "t" }?.frame == dstBytes + srcBytes + [0x81, 0x00, 0xc0, 0x0a, 0x08, 0x00] + payload)
        #expect(out.first { $0.port == "b" }?.frame == dstBytes + srcBytes + [0x08, 0x00] + payload)
    }

    @Test func nativeUntaggedTrunk() {
        let sw = T.bridge([T.trunk("t", "20", native: 10, mode: .untagged), T.access("a10", 10), T.access("a20", 20),
                           T.trunk("up", "10,20")])
        let untagged = dstBytes + srcBytes + [0x08, 0x00] + payload
        // Untagged in → VLAN 10.
        let out = sw.inject(untagged, on: "t")
        #expect(T.ports(out) == ["a10", "up"])
        #expect(out.first { $0.port == "up" }?.frame == dstBytes + srcBytes + [0x81, 0x00, 0x00, 0x0a, 0x08, 0x00] + payload)
        // VLAN 10 leaves t untagged, VLAN 20 tagged.
        #expect(bytesOut(sw, untagged, on: "a10", to: "t") == untagged)
        #expect(bytesOut(sw, untagged, on: "a20", to: "t") == dstBytes + srcBytes + [0x81, 0x00, 0x00, 0x14, 0x08, 0x00] + payload)
    }

    @Test func nativeTaggedTrunk() {
        let sw = T.bridge([T.trunk("t", "20", native: 10, mode: .tagged), T.access("a10", 10)])
        let untagged = dstBytes + srcBytes + [0x08, 0x00] + payload
        // Untagged frames are accepted into the native VLAN, but the native VLAN leaves tagged.
        #expect(bytesOut(sw, untagged, on: "t", to: "a10") == untagged)
        #expect(bytesOut(sw, untagged, on: "a10", to: "t") == dstBytes + srcBytes + [0x81, 0x00, 0x00, 0x0a, 0x08, 0x00] + payload)
    }

    @Test func portWithoutVLANSettingsIsAllVLANTrunkWithNative1() {
        let sw = T.bridge([T.plain("p"), T.access("a1", 1), T.access("a2", 2)])
        let untagged = dstBytes + srcBytes + [0x08, 0x00] + payload
        #expect(T.ports(sw.inject(untagged, on: "p")) == ["a1"])
        #expect(bytesOut(sw, untagged, on: "a1", to: "p") == untagged)
        #expect(bytesOut(sw, untagged, on: "a2", to: "p") == dstBytes + srcBytes + [0x81, 0x00, 0x00, 0x02, 0x08, 0x00] + payload)
    }

    @Test(arguments: [UInt16(10), 20, 1, 4094])
    func taggedFrameOnAccessIsDroppedWhateverItsVID(vid: UInt16) {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.trunk("t", nil)])
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: vid), on: "a").isEmpty)
        #expect(sw.dropCount("a", .taggedOnAccess) == 1)
    }

    @Test func vid4095AndDisallowedVIDsAreDroppedOnTrunks() {
        let sw = T.bridge([T.trunk("t", nil), T.trunk("t10", "10"), T.access("a", 10)])
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: 4095), on: "t").isEmpty)
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: 11), on: "t10").isEmpty)
        #expect(sw.dropCount("t", .vlanNotAllowed) == 1)
        #expect(sw.dropCount("t10", .vlanNotAllowed) == 1)
    }

    @Test func untaggedAndPriorityTaggedOnTrunkWithoutNativeAreDropped() {
        let sw = T.bridge([T.trunk("t", "10,20"), T.access("a", 10)])
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "t").isEmpty)
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: 0, pcp: 3), on: "t").isEmpty)
        #expect(sw.dropCount("t", .untaggedOnTrunk) == 2)
    }

    @Test func accessPortsOfDifferentVLANsNeverMeet() {
        let sw = T.bridge([T.access("a10", 10), T.access("a20", 20)])
        sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "a20")
        #expect(sw.inject(T.frame(to: T.mac(2), from: T.mac(1)), on: "a10").isEmpty)
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a10").isEmpty)
    }

    @Test func staticEntryOnAPortOutsideTheVLANIsEgressFiltered() {
        let sw = T.bridge([T.access("a10", 10), T.access("b10", 10), T.access("c20", 20)],
                          statics: [StaticMAC(mac: T.mac(9), vlan: T.vlan(10), port: "c20")])
        #expect(sw.inject(T.frame(to: T.mac(9), from: T.mac(1)), on: "a10").isEmpty)
        #expect(sw.dropCount("a10", .egressFiltered) == 1)
    }

    @Test func changingAPortsVLANForgetsWhatItLearned() {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 10)])
        sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a")
        sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "b")
        var cfg = sw.config
        cfg.ports[0].vlan = T.vlan(20)
        sw.reconfigure(cfg)
        #expect(sw.engine.table.lookup(T.mac(1), vlan: 10) == nil)
        #expect(sw.engine.table.lookup(T.mac(2), vlan: 10) == sw.portID("b"))
        #expect(sw.destinations(T.frame(to: .broadcast, from: T.mac(3)), on: "c") == ["b"])
    }
}
