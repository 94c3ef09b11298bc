import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// Ports that are not forwarding (link down, spanning tree discarding or learning).
@Suite("Port forwarding state")
struct PortStateTests {
    @Test func discardingPortIsNeitherFloodedNorSentToNorLearnedFrom() {
        let sw = T.bridge([T.plain("a"), T.plain("b"), T.plain("c")])
        sw.inject(T.frame(to: .broadcast, from: T.mac(3)), on: "c")  // c's MAC is known before it goes down
        sw.setStates(["c": .discarding])
        #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == ["b"])
        #expect(sw.inject(T.frame(to: T.mac(3), from: T.mac(1)), on: "a").isEmpty)
        #expect(sw.dropCount("a", .notForwarding) == 1)
        // A frame arriving on it is dropped and its source is not learned.
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(9)), on: "c").isEmpty)
        #expect(sw.dropCount("c", .notForwarding) == 1)
        #expect(sw.engine.table.lookup(T.mac(9), vlan: 1) == nil)
        // Forwarding again: flooded to and sent to.
        sw.setStates([:])
        #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == ["b", "c"])
        #expect(T.ports(sw.inject(T.frame(to: T.mac(3), from: T.mac(1)), on: "a")) == ["c"])
    }

    @Test func learningPortLearnsButForwardsNothing() {
        let sw = T.bridge([T.plain("a"), T.plain("b")])
        sw.setStates(["b": .learning])
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(7)), on: "b").isEmpty)
        #expect(sw.engine.table.lookup(T.mac(7), vlan: 1) != nil, "learning state did not learn")
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a").isEmpty)
    }

    @Test func stricterStateWins() {
        #expect(PortForwardingState.forwarding.combined(with: .discarding) == .discarding)
        #expect(PortForwardingState.learning.combined(with: .forwarding) == .learning)
        #expect(PortForwardingState.forwarding.combined(with: .forwarding) == .forwarding)
    }
}
