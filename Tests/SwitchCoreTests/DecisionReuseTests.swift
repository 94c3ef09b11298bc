import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// A frame whose header repeats the previous frame's gets the previous decision and outputs
/// (BridgeEngine+Pipeline.swift): whole batches with runs of identical and nearly identical frames
/// must be decided exactly as each frame alone — decision, outputs, ARP reply and MAC table, frame
/// by frame — on bridges with VLANs, isolation, a mirror, captures, a policed port, a port that
/// only learns, a tunnel, static MACs, ARP suppression, spanning tree trapping, and in hub mode.
@Suite("Decision reuse within a batch")
struct DecisionReuseTests {
    static let ids: [String: UInt32] = ["a": 1, "b": 2, "c": 3, "t": 4, "i1": 5, "i2": 6, "pol": 7, "lrn": 8, "vx0": 9,
                                        "span": 10, "sec": 11, "up": 12]
    static let names = ["a", "b", "c", "t", "i1", "i2", "pol", "lrn", "vx0", "span", "sec", "up"]
    static let bound = (ip: PF.ip4(10, 0, 0, 9), mac: "52:54:00:00:00:09")

    static func config(mode: BridgeMode = .learning, suppress: Bool) throws -> BridgeConfig {
        // Tap ports have the DHCP/RA guard; "sec" port security too, "pol" also storm control; "up" (system) none.
        var sec = T.access("sec", 10), pol = T.access("pol", 10), up = T.trunk("up", "10,20", native: 10, mode: .untagged)
        var policy = PortPolicy()
        policy.allowedAddresses = [try AllowedAddress.parse("52:54:00:00:00:01,10.0.0.5")]
        sec.policy = policy
        policy.stormBroadcast = 50
        pol.policy = policy
        up.type = .system
        let vx = PortConfig(name: "vx0", type: .vxlan, trunk: T.set("10,20"),
                            vxlan: VXLANConfig(vni: 42, remotes: [IPAddress(ipv4: 0x0A00_0002), IPAddress(ipv4: 0x0A00_0003)]))
        let ports = [T.access("a", 10), T.access("b", 10), T.access("c", 20), T.trunk("t", "10,20", native: 10, mode: .untagged),
                     T.access("i1", 10, isolated: true), T.access("i2", 10, isolated: true), pol, T.access("lrn", 10), vx,
                     T.plain("span"), sec, up]
        // Aging of 4 s and room for 8 entries: entries age, get refreshed with a new time and are evicted.
        var config = BridgeConfig(name: "br0", mode: mode, macAging: 4, macTableSize: 8, ports: ports,
                                  staticMACs: [StaticMAC(mac: T.mac(6), vlan: T.vlan(10), port: "b")],
                                  mirrors: [MirrorConfig(name: "m", selectPorts: ["c"], selectVLANs: [T.vlan(20)], output: "span")])
        if suppress {
            config.arpSuppression = ARPSuppressionConfig(bindings: [
                ARPBinding(vlan: T.vlan(10), ip: IPv4Address("10.0.0.9")!, mac: MACAddress(bound.mac)!)], neighbors: [])
        }
        return config
    }

    static func engine(_ config: BridgeConfig) -> BridgeEngine {
        let e = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids, states: ["lrn": .learning]))
        e.setCaptureWatches([CaptureWatch(port: ids["a"], vlan: 0, incoming: true, outgoing: true),
                             CaptureWatch(port: ids["t"], vlan: 20, incoming: true, outgoing: true),
                             CaptureWatch(port: nil, vlan: 10, incoming: true, outgoing: false)])
        e.trapsSpanningTree = true
        return e
    }

    /// Frames in families that share their first bytes: each family's members differ in one byte
    /// or in length, so a reuse that compares too little or ignores the length decides one wrongly.
    static func pool() -> [[[UInt8]]] {
        func eth(_ dst: MACAddress, _ src: MACAddress, vlan: UInt16? = nil, type: UInt16 = 0x0800) -> [UInt8] {
            FrameBuilder.ethernet(dst: dst, src: src, vlan: vlan, ethertype: type)
        }
        func set(_ f: [UInt8], _ at: Int, _ v: UInt8) -> [UInt8] { var f = f; f[at] = v; return f }
        let m1 = T.mac(1), m2 = T.mac(2), m3 = T.mac(3), m5 = T.mac(5), m6 = T.mac(6), unknown = T.mac(99)
        let tagged10 = eth(m2, m1, vlan: 10)
        // A priority tag around another tag (nested: dropped on untagged ingress) and around 0x8101 (not a tag).
        let nested = eth(m2, m3, vlan: 0, type: 0x8100)
        return [
            [eth(.broadcast, m1), eth(.broadcast, m2), eth(.broadcast, m5)],
            [eth(m2, m1), set(eth(m2, m1), 17, 0x77), set(eth(m2, m1), 12, 0x86), Array(eth(m2, m1).prefix(14)),
             Array(eth(m2, m1).prefix(10)), eth(m2, m1, type: 0x0806)],
            [eth(m1, m2), eth(m1, m5), eth(m5, m1), eth(m6, m1), eth(m1, m6), eth(unknown, m1), eth(unknown, m3)],
            [tagged10, eth(m2, m1, vlan: 20), set(tagged10, 17, 0x77), Array(tagged10.prefix(17)), Array(tagged10.prefix(18)),
             eth(m2, m1, vlan: 0), eth(.broadcast, m1, vlan: 20), eth(m1, m2, vlan: 20), eth(m1, m2, vlan: 30)],
            [nested, set(nested, 17, 0x01), set(nested, 16, 0x88)],
            [eth(.spanningTreeGroup, m1, type: 0x0026), eth(MACAddress(rawValue: 0x0180_C200_000E), m1, type: 0x88CC),
             eth(MACAddress(rawValue: 0x0100_5E00_0001), m1), eth(m1, m1), eth(m2, MACAddress(rawValue: 0x0100_5E00_0001)),
             eth(m2, .zero)],
            // ARP: requests for a bound and an unbound IP have the same first 22 bytes.
            [PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 5), targetIP: bound.ip),
             PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 5), targetIP: PF.ip4(10, 0, 0, 77)),
             PF.arp(src: PF.otherMAC, senderIP: PF.ip4(10, 0, 0, 6), targetIP: bound.ip)],
            // Port security: an allowed and a spoofed source IP behind the same first 26 bytes.
            [PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 5), sport: 1, dport: 2),
             PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 66), sport: 1, dport: 2),
             PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 5), to: PF.ip4(10, 0, 0, 9), sport: 1, dport: 2),
             PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 5), sport: 67, dport: 68),
             PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 5), sport: 68, dport: 67)],
            // The DHCP/RA guard: a router advertisement and an echo request behind the same first 22 bytes.
            [PF.ip6(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1), next: 58, payload: [134, 0, 0, 0] + [UInt8](repeating: 0, count: 12)),
             PF.ip6(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1), next: 58, payload: [128, 0, 0, 0] + [UInt8](repeating: 0, count: 12))],
        ]
    }

    /// Decides random batches of runs on `whole` (the whole batch at once) and `alone` (each frame
    /// in a batch of one, in the same order and at the same times); returns the frames that
    /// repeated the previous frame's header and remote where reuse is allowed.
    static func compare(_ config: BridgeConfig, seed: UInt64, batches: Int) -> Int {
        let whole = engine(config), alone = engine(config)
        let families = pool()
        let remotes: [UInt32] = [0x0A00_0002, 0x0A00_0003]
        var rng = SplitMix64(seed: seed)
        let batch = FrameBatch(capacity: 32), single = FrameBatch(capacity: 32)
        var now: Int64 = 0
        var repeats = 0
        for n in 0..<batches {
            now += Int64(rng.next() % 3) * Int64(rng.next() % 1500)
            let slot = Int(rng.next() % UInt64(names.count))
            let learning = rng.next() % 8 != 0
            let vx = names[slot] == "vx0"
            // A run goes on (same frame), changes one byte or the length (a sibling in its family), or a new family starts.
            var frames: [[UInt8]] = [], fromRemote: [UInt32] = []
            var family = Int(rng.next() % UInt64(families.count)), member = 0
            for _ in 0..<(1 + Int(rng.next() % 32)) {
                switch rng.next() % 10 {
                case 0..<6: break
                case 6..<9: member = Int(rng.next() % UInt64(families[family].count))
                default: family = Int(rng.next() % UInt64(families.count)); member = Int(rng.next() % UInt64(families[family].count))
                }
                frames.append(families[family][member])
                fromRemote.append(vx ? remotes[Int(rng.next() % 5 == 0 ? 1 : 0)] : 0)
            }
            let storm = names[slot] == "pol", suppressing = config.arpSuppression != nil && !vx && names[slot] != "up"
            for i in frames.indices.dropFirst() where !storm && !suppressing && frames[i].count >= 18
                && frames[i - 1].count >= 18 && frames[i].prefix(18) == frames[i - 1].prefix(18) && fromRemote[i] == fromRemote[i - 1] {
                repeats += 1
            }
            let same = frames.withUnsafeBufferPointers { raws -> Bool in
                batch.removeAll()
                for (i, raw) in raws.enumerated() { batch.append(raw, remote: fromRemote[i]) }
                whole.decide(batch, inSlot: slot, now: now, learning: learning)
                for (i, raw) in raws.enumerated() {
                    single.removeAll()
                    single.append(raw, remote: fromRemote[i])
                    alone.decide(single, inSlot: slot, now: now, learning: learning)
                    let at = "seed \(seed) batch \(n) frame \(i) of \(raws.count) on \(names[slot]): \(frames[i].prefix(18).map { $0 })"
                    if batch.decision(i) != single.decision(0) || Array(batch.outputs(i)) != Array(single.outputs(0))
                        || (single.decision(0).action == .answered && Array(batch.reply(i)) != Array(single.reply(0))) {
                        Issue.record("\(at): in the batch \(batch.decision(i)) \(Array(batch.outputs(i))), alone \(single.decision(0)) \(Array(single.outputs(0)))")
                        return false
                    }
                }
                return true
            }
            // The first difference is reported (the engines part ways after it).
            guard same else { return repeats }
            guard whole.table.entries() == alone.table.entries(),
                  [whole.table.learnedTotal, whole.table.movedTotal, whole.table.evictedTotal, whole.arpAnswered]
                    == [alone.table.learnedTotal, alone.table.movedTotal, alone.table.evictedTotal, alone.arpAnswered] else {
                Issue.record("seed \(seed) batch \(n) on \(names[slot]): the MAC tables differ: \(whole.table.entries()) vs \(alone.table.entries())")
                return repeats
            }
            if n % 16 == 15 { #expect(whole.expire(now: now) == alone.expire(now: now)) }
        }
        return repeats
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func aBatchIsDecidedAsEachOfItsFramesAlone(seed: UInt64) throws {
        let repeats = Self.compare(try Self.config(suppress: false), seed: seed, batches: 400)
        // The batches do hold runs the pipeline may reuse (else this compares nothing new).
        #expect(repeats > 1000)
    }

    @Test func withARPSuppressionAndInHubMode() throws {
        #expect(Self.compare(try Self.config(suppress: true), seed: 4, batches: 400) > 50)
        #expect(Self.compare(try Self.config(mode: .hub, suppress: false), seed: 5, batches: 400) > 1000)
    }

    /// The cases one by one, with their expected decisions (the comparison above shows they match
    /// the frames decided alone; this shows what they are).
    @Test func runsOfOneFlowAndTheirNeighbours() throws {
        let e = Self.engine(try Self.config(suppress: false))
        let m1 = T.mac(1), m2 = T.mac(2)
        let tagged = FrameBuilder.ethernet(dst: m2, src: m1, vlan: 10)
        var nestedInner = tagged; nestedInner[14] = 0; nestedInner[15] = 0; nestedInner[16] = 0x81; nestedInner[17] = 0x00
        var notNested = nestedInner; notNested[17] = 0x01
        let frames = [tagged, tagged, Array(tagged.prefix(17)), nestedInner, notNested, notNested, FrameBuilder.ethernet(dst: m1, src: m2, vlan: 10)]
        let batch = FrameBatch(capacity: 32)
        frames.withUnsafeBufferPointers { raws in
            for raw in raws { batch.append(raw) }
            e.decide(batch, inSlot: 3, now: 1)  // the trunk
        }
        let d = (0..<frames.count).map { batch.decision($0) }
        #expect(d[0].action == .flood && d[0].vlan == 10 && d[0].learned)
        #expect(d[1] == d[0] && Array(batch.outputs(1)) == Array(batch.outputs(0)))
        #expect(d[2].action == .drop && d[2].reason == .truncatedTag)
        #expect(d[3].action == .drop && d[3].reason == .nestedTag)
        #expect(d[4].action == .flood && d[4].vlan == 10 && !d[4].header.hasInnerTag)
        #expect(d[5] == d[4] && d[5].learned)
        // Back to m1, learned on the trunk by frame 0.
        #expect(d[6].action == .drop && d[6].reason == .destinationOnIngress)
    }
}

extension Array where Element == [UInt8] {
    /// Runs `body` with every element's bytes borrowed at once.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        func go(_ i: Int, _ acc: [UnsafeRawBufferPointer]) -> R {
            if i == count { return body(acc) }
            return self[i].withUnsafeBytes { go(i + 1, acc + [$0]) }
        }
        return go(0, [])
    }
}
