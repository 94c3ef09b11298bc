import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Hub mode")
struct HubTests {
    let a = T.mac(0xA), b = T.mac(0xB)

    @Test func everyFrameGoesToEveryOtherPortEvenKnownUnicast() {
        let sw = T.bridge([T.plain("p1"), T.plain("p2"), T.plain("p3"), T.plain("p4")], mode: .hub)
        // Traffic both ways that a learning bridge would learn from.
        for _ in 0..<3 {
            #expect(T.ports(sw.inject(T.frame(to: b, from: a), on: "p1")) == ["p2", "p3", "p4"])
            #expect(T.ports(sw.inject(T.frame(to: a, from: b), on: "p2")) == ["p1", "p3", "p4"])
        }
        let out = sw.inject(T.frame(to: b, from: a), on: "p1")
        for o in out { #expect(o.frame == T.frame(to: b, from: a)) }
    }

    @Test func hubLearnsNothing() {
        let sw = T.bridge([T.plain("p1"), T.plain("p2")], mode: .hub)
        for i in 1...20 { sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(i))), on: "p1") }
        #expect(sw.engine.table.learnedCount == 0)
        #expect(sw.engine.table.learnedTotal == 0)
    }

    @Test func hubNeverSendsBackOutOfTheIngress() {
        let sw = T.bridge([T.plain("p1"), T.plain("p2")], mode: .hub)
        sw.inject(T.frame(to: .broadcast, from: a), on: "p1")
        #expect(sw.destinations(T.frame(to: a, from: b), on: "p1") == ["p2"])
        #expect(sw.dropCount("p1", .destinationOnIngress) == 0)
    }

    @Test func hubRespectsVLANs() {
        let sw = T.bridge([T.access("a10", 10), T.access("b10", 10), T.access("c20", 20), T.trunk("t", "10,20")],
                          mode: .hub)
        let out = sw.inject(T.frame(to: b, from: a), on: "a10")
        #expect(T.ports(out) == ["b10", "t"])
        #expect(out.first { $0.port == "t" }?.frame == T.frame(to: b, from: a, vlan: 10))
        #expect(T.ports(sw.inject(T.frame(to: b, from: a, vlan: 20), on: "t")) == ["c20"])
        #expect(sw.inject(T.frame(to: b, from: a, vlan: 20), on: "a10").isEmpty)
        #expect(sw.dropCount("a10", .taggedOnAccess) == 1)
    }

    @Test func hubRespectsIsolation() {
        let sw = T.bridge([T.plain("i1", isolated: true), T.plain("i2", isolated: true), T.plain("open")], mode: .hub)
        #expect(sw.destinations(T.frame(to: b, from: a), on: "i1") == ["open"])
        #expect(T.ports(sw.inject(T.frame(to: b, from: a), on: "open")) == ["i1", "i2"])
    }

    @Test func hubStillDropsMalformedAndReserved() {
        let sw = T.bridge([T.plain("p1"), T.plain("p2")], mode: .hub)
        #expect(sw.inject(Array(repeating: 0, count: 10), on: "p1").isEmpty)
        #expect(sw.inject(T.frame(to: MACAddress("01:80:c2:00:00:00")!, from: a), on: "p1").isEmpty)
        #expect(sw.dropCount("p1", .runt) == 1)
        #expect(sw.dropCount("p1", .reservedGroup) == 1)
    }
}
