import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Flooding")
struct FloodingTests {
    static let destinations: [(String, MACAddress)] = [
        ("broadcast", .broadcast),
        ("ipv4 multicast", MACAddress("01:00:5e:00:00:fb")!),
        ("ipv6 multicast", MACAddress("33:33:ff:00:00:01")!),
        ("unknown unicast", MACAddress("52:54:00:99:99:99")!),
        ("first non-reserved 802.1 group", MACAddress("01:80:c2:00:00:10")!),
    ]

    @Test(arguments: destinations.map(\.1))
    func floodReachesEveryOtherPortOfTheVLANAndNeverTheIngress(dst: MACAddress) {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 10), T.access("x", 20),
                           T.trunk("t20", "20")])
        for ingress in ["a", "b", "c"] {
            let out = sw.inject(T.frame(to: dst, from: T.mac(0x100)), on: ingress)
            #expect(T.ports(out) == ["a", "b", "c"].filter { $0 != ingress }.sorted())
            for o in out { #expect(o.frame == T.frame(to: dst, from: T.mac(0x100))) }
        }
    }

    @Test func knownMulticastSourceDoesNotTurnFloodIntoUnicast() {
        // A multicast destination is flooded even if some port "sent" from it before (it cannot be learned).
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 10)])
        let group = MACAddress("01:00:5e:00:00:01")!
        sw.inject(T.frame(to: .broadcast, from: group), on: "b")
        #expect(T.ports(sw.inject(T.frame(to: group, from: T.mac(1)), on: "a")) == ["b", "c"])
    }

    @Test func broadcastIsFloodedEveryTimeEvenWhenSourcesAreKnown() {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 10)])
        for i in 0..<5 {
            sw.inject(T.frame(to: .broadcast, from: T.mac(2)), on: "b")
            #expect(T.ports(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == ["b", "c"], "round \(i)")
        }
    }

    @Test func floodOnASingleMemberVLANGoesNowhere() {
        let sw = T.bridge([T.access("a", 10), T.access("b", 20)])
        #expect(sw.inject(T.frame(to: .broadcast, from: T.mac(1)), on: "a").isEmpty)
        // Nothing is counted as a malformed/VLAN drop for it.
        for r in [DropReason.taggedOnAccess, .vlanNotAllowed, .untaggedOnTrunk, .isolated, .egressFiltered] {
            #expect(sw.dropCount("a", r) == 0)
        }
    }

    @Test func unknownUnicastFloodStaysInItsVLANAcrossTrunks() {
        let sw = T.bridge([T.access("a10", 10), T.access("b10", 10), T.access("a20", 20),
                           T.trunk("t10", "10"), T.trunk("t20", "20"), T.trunk("tall", nil)])
        let out = sw.inject(T.frame(to: T.mac(0x77), from: T.mac(1)), on: "a10")
        #expect(T.ports(out) == ["b10", "t10", "tall"])
        let out20 = sw.inject(T.frame(to: T.mac(0x77), from: T.mac(2), vlan: 20), on: "tall")
        #expect(T.ports(out20) == ["a20", "t20"])
    }

    @Test func unknownUnicastBecomesUnicastOnceTheReplyIsSeen() {
        let sw = T.bridge([T.access("a", 10), T.access("b", 10), T.access("c", 10), T.access("d", 10)])
        #expect(sw.destinations(T.frame(to: T.mac(4), from: T.mac(1)), on: "a").count == 3)
        sw.inject(T.frame(to: T.mac(1), from: T.mac(4)), on: "d")
        #expect(sw.destinations(T.frame(to: T.mac(4), from: T.mac(1)), on: "a") == ["d"])
    }
}
