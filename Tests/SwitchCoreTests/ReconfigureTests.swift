import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Reconfiguration")
struct ReconfigureTests {
    func world() -> InMemorySwitch {
        let s = T.bridge([T.access("p1", 10), T.access("p2", 10), T.access("p3", 10)],
                         statics: [StaticMAC(mac: T.mac(0x50), vlan: T.vlan(10), port: "p3")])
        for (i, p) in ["p1", "p2", "p3"].enumerated() {
            for j in 0..<3 { s.inject(T.frame(to: .broadcast, from: T.mac(UInt64(i * 16 + j + 1))), on: p) }
        }
        return s
    }

    @Test func deletedPortLosesItsEntriesIncludingStatics() {
        let s = world()
        let p3 = s.portID("p3")!
        var cfg = s.config
        cfg.ports.removeAll { $0.name == "p3" }
        cfg.staticMACs.removeAll { $0.port == "p3" }
        s.reconfigure(cfg)
        #expect(s.engine.table.entries().allSatisfy { $0.port != p3 })
        #expect(s.engine.table.count(of: p3) == 0)
        #expect(s.engine.table.lookup(T.mac(0x50), vlan: 10) == nil)
        #expect(s.engine.table.learnedCount == 6)
        // Traffic to a MAC that was behind p3 floods to the remaining ports only.
        #expect(s.destinations(T.frame(to: T.mac(33), from: T.mac(1)), on: "p1") == ["p2"])
        #expect(s.destinations(T.frame(to: T.mac(17), from: T.mac(1)), on: "p1") == ["p2"])
    }

    @Test func remainingPortsKeepTheirEntries() {
        let s = world()
        var cfg = s.config
        cfg.ports.removeAll { $0.name == "p1" }
        s.reconfigure(cfg)
        #expect(s.engine.table.lookup(T.mac(17), vlan: 10) == s.portID("p2"))
        #expect(s.engine.table.lookup(T.mac(0x50), vlan: 10) == s.portID("p3"))
        #expect(s.destinations(T.frame(to: T.mac(17), from: T.mac(33)), on: "p3") == ["p2"])
    }

    @Test func addedPortReceivesFloodsAndLearns() {
        let s = world()
        var cfg = s.config
        cfg.ports.append(T.access("p4", 10))
        s.reconfigure(cfg)
        #expect(T.ports(s.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "p1")) == ["p2", "p3", "p4"])
        s.inject(T.frame(to: .broadcast, from: T.mac(0x99)), on: "p4")
        #expect(s.destinations(T.frame(to: T.mac(0x99), from: T.mac(1)), on: "p1") == ["p4"])
    }

    @Test func readdedPortStartsEmpty() {
        let s = world()
        let original = s.config
        var cfg = original
        cfg.ports.removeAll { $0.name == "p2" }
        s.reconfigure(cfg)
        s.reconfigure(original)
        #expect(s.engine.table.count(of: s.portID("p2")!) == 0)
        #expect(T.ports(s.inject(T.frame(to: T.mac(17), from: T.mac(1)), on: "p1")) == ["p2", "p3"])
    }

    @Test func switchingToHubStopsUnicastAndLearning() {
        let s = world()
        var cfg = s.config
        cfg.mode = .hub
        s.reconfigure(cfg)
        let before = s.engine.table.learnedTotal
        #expect(T.ports(s.inject(T.frame(to: T.mac(17), from: T.mac(0x77)), on: "p1")) == ["p2", "p3"])
        #expect(s.engine.table.learnedTotal == before)
    }
}
