import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Isolated ports")
struct IsolationTests {
    // iso1, iso2 isolated; open1, open2 not. MACs: 1 behind iso1, 2 behind iso2, 3 behind open1, 4 behind open2.
    func world() -> InMemorySwitch {
        let sw = T.bridge([T.access("iso1", 10, isolated: true), T.access("iso2", 10, isolated: true),
                           T.access("open1", 10), T.access("open2", 10)])
        for (i, p) in ["iso1", "iso2", "open1", "open2"].enumerated() {
            sw.inject(T.frame(to: .broadcast, from: T.mac(UInt64(i + 1))), on: p)
        }
        return sw
    }

    @Test func floodFromIsolatedSkipsOtherIsolated() {
        let sw = world()
        #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "iso1")) == ["open1", "open2"])
        #expect(T.ports(sw.inject(T.frame(to: T.mac(99), from: T.mac(2)), on: "iso2")) == ["open1", "open2"])
    }

    @Test func floodFromOpenReachesEveryone() {
        let sw = world()
        #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(3)), on: "open1")) == ["iso1", "iso2", "open2"])
    }

    @Test func unicastBetweenIsolatedPortsIsDropped() {
        let sw = world()
        #expect(sw.inject(T.frame(to: T.mac(2), from: T.mac(1)), on: "iso1").isEmpty)
        #expect(sw.inject(T.frame(to: T.mac(1), from: T.mac(2)), on: "iso2").isEmpty)
        #expect(sw.dropCount("iso1", .isolated) == 1)
        #expect(sw.dropCount("iso2", .isolated) == 1)
    }

    @Test(arguments: [("iso1", 3, "open1"), ("iso2", 4, "open2"), ("open1", 1, "iso1"), ("open2", 2, "iso2"),
                      ("open1", 4, "open2")])
    func unicastBetweenIsolatedAndOpenWorks(from: String, dstMAC: Int, expected: String) {
        let sw = world()
        #expect(sw.destinations(T.frame(to: T.mac(UInt64(dstMAC)), from: T.mac(77)), on: from) == [expected])
        #expect(sw.dropCount(from, .isolated) == 0)
    }

    @Test func isolationAppliesAcrossTrunks() {
        let sw = T.bridge([T.trunk("t1", "10,20", isolated: true), T.access("a", 20, isolated: true),
                           T.access("b", 20)])
        let out = sw.inject(T.frame(to: .broadcast, from: T.mac(1), vlan: 20), on: "t1")
        #expect(T.ports(out) == ["b"])
        sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "a")
        #expect(sw.inject(T.frame(to: T.mac(2), from: T.mac(1), vlan: 20), on: "t1").isEmpty)
        #expect(sw.dropCount("t1", .isolated) == 1)
    }

    @Test func togglingIsolationByReconfigure() {
        let sw = world()
        var cfg = sw.config
        cfg.ports[1].isolated = false  // iso2 opened
        sw.reconfigure(cfg)
        #expect(sw.destinations(T.frame(to: T.mac(2), from: T.mac(1)), on: "iso1") == ["iso2"])
        cfg.ports[1].isolated = true
        cfg.ports[2].isolated = true   // open1 isolated now
        sw.reconfigure(cfg)
        #expect(sw.inject(T.frame(to: T.mac(3), from: T.mac(1)), on: "iso1").isEmpty)
        #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "iso1")) == ["open2"])
    }
}
