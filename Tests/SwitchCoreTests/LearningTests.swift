import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("MAC learning")
struct LearningTests {
    let a = T.mac(0xA), b = T.mac(0xB), c = T.mac(0xC)

    func threePorts() -> InMemorySwitch { T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)]) }

    @Test func sourceIsLearnedOnIngressPortAndVLAN() throws {
        let sw = threePorts()
        sw.inject(T.frame(to: .broadcast, from: a), on: "p2")
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("p2"))
        #expect(sw.engine.table.lookup(a, vlan: 20) == nil)
        let entries = sw.engine.table.entries()
        #expect(entries.count == 1)
        let e = try #require(entries.first)
        #expect(e.mac == a && e.vlan == 10 && e.port == sw.portID("p2") && !e.isStatic)
        #expect(sw.engine.table.learnedTotal == 1)
    }

    @Test func knownUnicastGoesToExactlyOnePortBothWays() {
        let sw = threePorts()
        #expect(T.ports(sw.inject(T.frame(to: b, from: a), on: "p1")) == ["p2", "p3"])  // unknown: flood
        #expect(T.ports(sw.inject(T.frame(to: a, from: b), on: "p2")) == ["p1"])        // a known now
        let out = sw.inject(T.frame(to: b, from: a), on: "p1")
        #expect(T.ports(out) == ["p2"])
        #expect(out.first?.frame == T.frame(to: b, from: a))  // bytes unchanged on access → access
    }

    @Test func unicastDoesNotReachThirdPort() {
        let sw = threePorts()
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        sw.inject(T.frame(to: .broadcast, from: b), on: "p2")
        for _ in 0..<10 {
            #expect(!sw.destinations(T.frame(to: b, from: a), on: "p1").contains("p3"))
            #expect(!sw.destinations(T.frame(to: a, from: b), on: "p2").contains("p3"))
        }
    }

    @Test func destinationLearnedOnIngressIsDropped() {
        let sw = threePorts()
        // Two hosts behind p1 (a hub or a VM with several MACs).
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        let out = sw.inject(T.frame(to: a, from: c), on: "p1")
        #expect(out.isEmpty)
        #expect(sw.dropCount("p1", .destinationOnIngress) == 1)
        // c was learned on p1 all the same.
        #expect(sw.engine.table.lookup(c, vlan: 10) == sw.portID("p1"))
    }

    @Test func frameToItselfIsNotHairpinned() {
        let sw = threePorts()
        #expect(sw.inject(T.frame(to: a, from: a), on: "p1").isEmpty)
        #expect(sw.dropCount("p1", .destinationOnIngress) == 1)
    }

    @Test func macMoveIsCountedAndFollowed() {
        let sw = threePorts()
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        #expect(sw.engine.table.movedTotal == 0)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p3")   // a moved (VM migrated)
        #expect(sw.engine.table.movedTotal == 1)
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("p3"))
        #expect(sw.destinations(T.frame(to: a, from: b), on: "p2") == ["p3"])
        #expect(sw.engine.table.learnedCount == 2)  // a and b, not a twice
        // Seen again on the same port: a refresh, not a move.
        sw.inject(T.frame(to: .broadcast, from: a), on: "p3")
        #expect(sw.engine.table.movedTotal == 1)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        #expect(sw.engine.table.movedTotal == 2)
        #expect(sw.engine.table.count(of: sw.portID("p1")!) == 1)
        #expect(sw.engine.table.count(of: sw.portID("p3")!) == 0)
    }

    @Test func sameMACInTwoVLANsIsTwoEntriesNotAMove() {
        let sw = T.bridge([T.access("v10", 10), T.access("v20", 20), T.trunk("tr", "10,20")])
        sw.inject(T.frame(to: .broadcast, from: a), on: "v10")
        sw.inject(T.frame(to: .broadcast, from: a), on: "v20")
        #expect(sw.engine.table.movedTotal == 0)
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("v10"))
        #expect(sw.engine.table.lookup(a, vlan: 20) == sw.portID("v20"))
        // From the trunk, VLAN 10 and VLAN 20 frames to a go to different ports.
        #expect(sw.destinations(T.frame(to: a, from: b, vlan: 10), on: "tr") == ["v10"])
        #expect(sw.destinations(T.frame(to: a, from: b, vlan: 20), on: "tr") == ["v20"])
    }

    @Test func learnedInOneVLANStillFloodsInAnother() {
        let sw = T.bridge([T.access("v10", 10), T.trunk("tr", "10,20"), T.access("v20a", 20), T.access("v20b", 20)])
        sw.inject(T.frame(to: .broadcast, from: a), on: "v10")
        #expect(T.ports(sw.inject(T.frame(to: a, from: b, vlan: 20), on: "tr")) == ["v20a", "v20b"])
    }

    @Test func droppedFramesTeachNothing() {
        let sw = T.bridge([T.access("p1", 10), T.trunk("tr", "20")])
        sw.inject(T.frame(to: .broadcast, from: a, vlan: 10), on: "p1")  // tagged on access
        sw.inject(T.frame(to: .broadcast, from: b, vlan: 30), on: "tr")  // not allowed
        sw.inject(T.frame(to: .broadcast, from: c), on: "tr")            // untagged on trunk without native
        #expect(sw.engine.table.learnedCount == 0)
        #expect(sw.engine.table.entries().isEmpty)
        #expect(sw.dropCount("p1", .taggedOnAccess) == 1)
        #expect(sw.dropCount("tr", .vlanNotAllowed) == 1)
        #expect(sw.dropCount("tr", .untaggedOnTrunk) == 1)
    }

    @Test func multicastSourceIsNeverLearned() {
        let sw = threePorts()
        let group = MACAddress("01:00:5e:01:02:03")!
        sw.inject(T.frame(to: b, from: group), on: "p1")
        #expect(sw.engine.table.lookup(group, vlan: 10) == nil)
        #expect(sw.dropCount("p1", .invalidSource) == 1)
    }

    @Test func multicastDestinationStillTeachesTheSource() {
        let sw = threePorts()
        sw.inject(T.frame(to: MACAddress("33:33:00:00:00:01")!, from: a), on: "p2")
        #expect(sw.engine.table.lookup(a, vlan: 10) == sw.portID("p2"))
        #expect(sw.destinations(T.frame(to: a, from: b), on: "p1") == ["p2"])
    }

    @Test func fdbFlushOfOnePortForgetsOnlyThatPort() {
        let sw = threePorts()
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        sw.inject(T.frame(to: .broadcast, from: b), on: "p2")
        #expect(sw.engine.table.flush(port: sw.portID("p1")) == 1)
        #expect(sw.engine.table.lookup(a, vlan: 10) == nil)
        #expect(sw.engine.table.lookup(b, vlan: 10) == sw.portID("p2"))
        #expect(T.ports(sw.inject(T.frame(to: a, from: c), on: "p3")) == ["p1", "p2"])
        #expect(sw.engine.table.flush() >= 1)
        #expect(sw.engine.table.learnedCount == 0)
    }
}
