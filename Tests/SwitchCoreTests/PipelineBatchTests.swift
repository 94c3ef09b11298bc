import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// The decision pipeline over whole batches: per-frame results, learning updates, trace mode, and
/// output storage that grows with the configuration.
@Suite("Decision pipeline batches")
struct PipelineBatchTests {
    @Test func eachFrameOfABatchHasItsOwnDecisionAndOutputs() {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 20), T.trunk("t", "10,20")])
        sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "b")
        let results = sw.injectBatch([
            T.frame(to: .broadcast, from: T.mac(1)),          // flood in VLAN 10
            T.frame(to: T.mac(2), from: T.mac(1)),            // known unicast to b
            T.frame(to: .broadcast, from: T.mac(1), vlan: 10), // tagged on access: dropped
            [0x01, 0x02],                                     // runt: dropped
            T.frame(to: T.mac(1), from: T.mac(3)),            // destination on the ingress port (learned by frame 1)
        ], on: "a")
        #expect(results.map { $0.map(\.port).sorted() } == [["b", "t"], ["b"], [], [], []])
        #expect(sw.dropCount("a", .taggedOnAccess) == 1)
        #expect(sw.dropCount("a", .runt) == 1)
        #expect(sw.dropCount("a", .destinationOnIngress) == 1)
        #expect(sw.engine.table.lookup(T.mac(3), vlan: 10) == sw.portID("a"))
    }

    @Test func theLearningUpdateIsReportedAndTraceLearnsNothing() {
        let cfg = BridgeConfig(name: "br0", ports: [T.access("a", 10), T.access("b", 10)])
        let engine = BridgeEngine(snapshot: ForwardingSnapshot(config: cfg, portIDs: ["a": 1, "b": 2]))
        let batch = FrameBatch(capacity: 4)
        let frame = T.frame(to: .broadcast, from: T.mac(1))
        frame.withUnsafeBytes { raw in
            batch.append(raw)
            engine.decide(batch, inSlot: 0, now: 0, learning: false)
            #expect(batch.decision(0).action == .flood && !batch.decision(0).learned)
            #expect(engine.table.learnedCount == 0)
            batch.removeAll()
            batch.append(raw)
            engine.decide(batch, inSlot: 0, now: 0)
            #expect(batch.decision(0).learned && batch.decision(0).vlan == 10 && batch.decision(0).header.source == T.mac(1))
            #expect(engine.table.lookup(T.mac(1), vlan: 10) == 1)
        }
        // A hub learns nothing and says so.
        let hub = T.bridge([T.access("a", 10), T.access("b", 10)], mode: .hub)
        hub.inject(frame, on: "a")
        #expect(hub.lastDecision?.learned == false && hub.engine.table.learnedCount == 0)
    }

    @Test func outputStorageGrowsWithTheConfigurationAndStaysCorrect() {
        // 40 ports flooding: a batch of 32 frames lists 32 × 39 outputs, more than the batch started with.
        let ports = (0..<40).map { T.access("p\($0)", 10) }
        let sw = T.bridge(ports)
        let frames = (0..<32).map { T.frame(to: .broadcast, from: T.mac(UInt64($0 + 1))) }
        let results = sw.injectBatch(frames, on: "p0")
        #expect(results.count == 32)
        for (i, r) in results.enumerated() {
            #expect(r.count == 39 && Set(r.map(\.port)).count == 39 && !r.contains { $0.port == "p0" }, "frame \(i)")
            #expect(r.allSatisfy { $0.frame == frames[i] }, "frame \(i)")
        }
    }

    @Test func spanningTreeBPDUsGoToTheControlPlaneOnlyWhenTheBridgeRunsSTP() {
        let sw = InMemorySwitch(BridgeConfig(name: "br0", ports: [T.access("a", 10), T.access("b", 10), T.plain("span")],
                                             mirrors: [MirrorConfig(name: "m", selectAll: true, output: "span")]))
        sw.startCapture("cap", port: "a")
        let bpdu = FrameBuilder.ethernet(dst: .spanningTreeGroup, src: T.mac(1), ethertype: 0x0026)
        let lldp = FrameBuilder.ethernet(dst: MACAddress(rawValue: 0x0180_C200_000E), src: T.mac(1), ethertype: 0x88CC)
        // Without STP: a reserved-group drop (the capture still sees it arrive).
        #expect(sw.deliveries(bpdu, on: "a").map(\.kind) == [.captureIncoming])
        #expect(sw.dropCount("a", .reservedGroup) == 1)
        // With STP: to the control plane, not a drop, not mirrored, not learned.
        sw.engine.trapsSpanningTree = true
        let out = sw.deliveries(bpdu, on: "a")
        #expect(out.map { "\($0.kind):\($0.port)" } == ["captureIncoming:cap", "control:a"])
        #expect(out.last?.frame == bpdu)
        #expect(sw.lastDecision?.action == .control)
        #expect(sw.dropCount("a", .reservedGroup) == 1)
        #expect(sw.engine.table.learnedCount == 0)
        // Other reserved groups (LLDP) are still dropped.
        #expect(sw.deliveries(lldp, on: "a").map(\.kind) == [.captureIncoming])
        #expect(sw.dropCount("a", .reservedGroup) == 2)
    }

    @Test func aFullBatchRefusesMoreFrames() {
        let batch = FrameBatch(capacity: 2)
        let f: [UInt8] = Array(repeating: 0, count: 60)
        f.withUnsafeBytes { raw in
            #expect(batch.append(raw) && batch.append(raw))
            #expect(!batch.append(raw) && batch.count == 2 && batch.isFull)
            batch.removeAll()
            #expect(batch.count == 0)
        }
    }
}
