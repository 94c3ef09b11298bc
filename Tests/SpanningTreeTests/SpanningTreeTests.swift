import SpanningTree
import Testing

@Suite("Rapid spanning tree")
struct SpanningTreeTests {
    @Test func twoBridgesAgreeOnTheRootAndForwardWithinASecond() {
        let lab = STPLab()
        lab.bridge(1, ports: 1); lab.bridge(2, ports: 1)
        lab.link(0, 0, 1, 0)
        lab.run(for: 1000)
        #expect(lab.bridges[0].isRoot && !lab.bridges[1].isRoot)
        #expect(lab.bridges[1].rootVector.root == lab.bridges[0].bridgeID)
        #expect(lab.role(0, 0) == .designated && lab.role(1, 0) == .root)
        // Proposal/agreement: no forward-delay wait (15 s).
        #expect(lab.state(0, 0) == .forwarding && lab.state(1, 0) == .forwarding, "\(lab.events)")
    }

    @Test func triangleBlocksExactlyOnePortAndHealsWhenTheForwardingLinkIsCut() {
        let lab = STPLab()
        for n in 1...3 { lab.bridge(UInt8(n), ports: 2) }
        lab.link(0, 0, 1, 0)  // root – b1
        lab.link(0, 1, 2, 0)  // root – b2
        lab.link(1, 1, 2, 1)  // b1 – b2: b2's end is the alternate (b1 has the lower ID)
        lab.run(for: 3000)
        #expect(lab.blockedLinkPorts == [.init(bridge: 2, port: 1)], "\(lab.blockedLinkPorts) \(lab.events)")
        #expect(lab.role(2, 1) == .alternate && lab.role(1, 1) == .designated)
        // Cut root – b2: b2's alternate becomes its root port and forwards at once.
        lab.flushes.removeAll()
        lab.cut(0, 1)
        lab.run(for: 500)
        #expect(lab.role(2, 1) == .root, "\(lab.events)")
        #expect(lab.state(2, 1) == .forwarding && lab.state(1, 1) == .forwarding, "\(lab.events.suffix(20))")
        #expect(lab.bridges[2].rootVector.root == lab.bridges[0].bridgeID)
        #expect(lab.bridges[2].rootVector.rootPathCost == 40000)
        // The topology change flushed MACs learned on the other ports.
        #expect(!lab.flushes.isEmpty)
        // The old root port's stations are forgotten on both ends of the cut (17.25 INACTIVE):
        // frames for them flood over the new path instead of going to the dead port.
        #expect(lab.flushes.contains(.init(bridge: 2, port: 0)), "\(lab.flushes)")
        #expect(lab.flushes.contains(.init(bridge: 0, port: 1)), "\(lab.flushes)")
    }

    @Test func aDesignatedPortThatBecomesAlternateForgetsItsStations() {
        let lab = STPLab()
        lab.bridge(1, ports: 2); lab.bridge(2, ports: 2)
        lab.link(0, 0, 1, 0)
        // Bridge 1's second port has no peer yet: designated, forwarding after 2 × forward delay
        // (then the topology change that caused has ended: no flush below comes from it).
        lab.run(for: 40_000)
        #expect(lab.role(1, 1) == .designated && lab.state(1, 1) == .forwarding, "\(lab.events.suffix(10))")
        lab.flushes.removeAll()
        // A second link between the two bridges: that port hears the root and becomes an alternate.
        lab.link(0, 1, 1, 1)
        lab.run(for: 3000)
        #expect(lab.role(1, 1) == .alternate && lab.state(1, 1) == .discarding, "\(lab.events.suffix(10))")
        #expect(lab.flushes.contains(.init(bridge: 1, port: 1)), "\(lab.flushes)")
    }

    @Test func lowerPriorityWinsAndPathCostChoosesTheRootPort() {
        let lab = STPLab()
        lab.bridge(1, ports: 2)
        lab.bridge(9, STPBridgeSettings(priority: 4096), ports: 2)
        lab.bridge(5, ports: 2)
        lab.link(0, 0, 1, 0); lab.link(1, 1, 2, 0); lab.link(2, 1, 0, 1)
        // b0 reaches the root (b1) directly, or via b2; make the direct link expensive.
        lab.bridges[0].update(port: 0, settings: STPPortSettings(pathCost: 100000))
        lab.run(for: 3000)
        #expect(lab.bridges[1].isRoot)
        #expect(lab.role(0, 1) == .root && lab.role(0, 0) == .alternate, "\(lab.events)")
        #expect(lab.blockedLinkPorts.count == 1)
    }

    @Test func legacyPeerGetsConfigBPDUsAndForwardDelayTimers() {
        let lab = STPLab()
        lab.bridge(1, ports: 1)
        lab.bridge(2, STPBridgeSettings(proto: .stp), ports: 1)
        lab.link(0, 0, 1, 0)
        lab.run(for: 5000)
        #expect(!lab.bridges[0].ports[0].sendRSTP, "the RSTP bridge did not fall back for its STP peer")
        #expect(lab.bridges[1].rootVector.root == lab.bridges[0].bridgeID)
        #expect(lab.state(0, 0) != .forwarding, "forwarded before the forward delay with a legacy peer")
        lab.run(for: 26000)
        #expect(lab.state(0, 0) == .forwarding && lab.state(1, 0) == .forwarding)
        #expect(lab.bridges[0].ports[0].counters.txConfig > 0 && lab.bridges[0].ports[0].counters.rxConfig > 0)
    }

    @Test func edgePortForwardsAtOnceAndBPDUGuardShutsIt() {
        let b = SpanningTree(address: [2, 0, 0, 0, 0, 1], settings: STPBridgeSettings(), now: 0)
        let vm = b.addPort("vm1", settings: STPPortSettings(edge: true))
        let guarded = b.addPort("vm2", settings: STPPortSettings(edge: true, bpduGuard: true))
        #expect(b.ports[vm].state == .forwarding && b.ports[guarded].state == .forwarding)
        let peer = SpanningTree(address: [2, 0, 0, 0, 0, 9], settings: STPBridgeSettings(), now: 0)
        peer.addPort("x", settings: STPPortSettings())
        let frame = peer.takeOutput().frames.first?.frame ?? []
        #expect(!frame.isEmpty)
        frame.withUnsafeBytes { b.receive(port: vm, frame: $0) }
        #expect(!b.ports[vm].operEdge, "a BPDU did not end edge status")
        frame.withUnsafeBytes { b.receive(port: guarded, frame: $0) }
        #expect(b.ports[guarded].guardShut && b.states["vm2"] == .discarding)
        #expect(b.takeOutput().events.contains { $0.kind == "bpdu-guard" })
    }

    @Test func badBPDUsAreCountedAndChangeNothing() {
        let lab = STPLab()
        lab.bridge(5, ports: 1)
        let b = lab.bridges[0]
        let root = b.rootVector
        var better = BPDU(kind: .rst, version: 2)
        better.role = .designated
        better.root = BridgeIdentifier(priority: 0, address: [2, 0, 0, 0, 0, 1])
        better.bridge = better.root
        var frame = BPDUCodec.encode(better, source: [2, 0, 0, 0, 0, 1])
        var bad: [[UInt8]] = [Array(frame[0..<25])]
        frame[19] = 1; bad.append(frame); frame[19] = 2  // RST with version 1
        frame[47] = 0; frame[46] = 0xFF; bad.append(frame)  // max age 255 s
        for f in bad { f.withUnsafeBytes { b.receive(port: 0, frame: $0) } }
        #expect(b.ports[0].counters.rxBad == 3)
        #expect(b.rootVector == root && b.isRoot)
    }

    @Test func informationAgesOutWhenThePeerFallsSilent() {
        let lab = STPLab()
        lab.bridge(1, ports: 1); lab.bridge(2, ports: 1)
        lab.link(0, 0, 1, 0)
        lab.run(for: 1000)
        #expect(!lab.bridges[1].isRoot)
        // The root stops sending (its link stays "up": a hung peer); after 3 × hello b1 is root itself.
        lab.down.insert(.init(bridge: 0, port: 0))
        lab.run(for: 7000)
        #expect(lab.bridges[1].isRoot, "\(lab.events.suffix(5))")
    }
}
