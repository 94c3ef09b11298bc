import SwitchCore
import TapestryModel
import TestSupport
import Testing

@Suite("Port policy in the decision pipeline")
struct PolicyPipelineTests {
    func port(_ name: String, _ edit: (inout PortPolicy) -> Void) -> PortConfig {
        var p = T.plain(name)
        var policy = PortPolicy()
        edit(&policy)
        p.policy = policy
        return p
    }

    let vm = MACAddress(rawValue: PF.vmMAC), other = MACAddress(rawValue: PF.otherMAC)

    @Test func spoofedFramesAreDroppedCountedAndNotLearned() throws {
        let allowed = try AllowedAddress.parse("52:54:00:00:00:01,10.0.0.5")
        let sw = T.bridge([port("vm1") { $0.allowedAddresses = [allowed] }, T.plain("vm2"), T.plain("vm3")])
        // Legitimate ARP and IP pass and are learned.
        #expect(T.ports(sw.inject(PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 5), targetIP: PF.ip4(10, 0, 0, 1)), on: "vm1")) == ["vm2", "vm3"])
        #expect(sw.engine.table.learnedCount == 1)
        // Spoofed source MAC: dropped, not learned.
        #expect(sw.inject(PF.udp4(src: PF.otherMAC, from: PF.ip4(10, 0, 0, 5), sport: 1, dport: 2), on: "vm1").isEmpty)
        #expect(sw.dropCount("vm1", .spoofedMAC) == 1)
        #expect(sw.engine.table.learnedCount == 1)
        // Gratuitous ARP for the gateway's address.
        #expect(sw.inject(PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 1), targetIP: PF.ip4(10, 0, 0, 1)), on: "vm1").isEmpty)
        #expect(sw.dropCount("vm1", .spoofedARP) == 1)
        #expect(sw.inject(PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 77), sport: 1, dport: 2), on: "vm1").isEmpty)
        #expect(sw.dropCount("vm1", .spoofedIP) == 1)
        // Another port without policy may use any source.
        #expect(T.ports(sw.inject(PF.udp4(src: PF.otherMAC, from: PF.ip4(10, 0, 0, 77), sport: 1, dport: 2), on: "vm2")) == ["vm1", "vm3"])
    }

    @Test func tapPortsMayNotServeDHCPOrRAUnlessTrusted() {
        var up = T.plain("uplink"); up.type = .system
        var trustedVM = T.plain("vm3"); trustedVM.policy = { var p = PortPolicy(); p.trusted = true; return p }()
        let sw = T.bridge([T.plain("vm1"), T.plain("vm2"), up, trustedVM])
        let offer = PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 1), sport: 67, dport: 68)
        #expect(sw.inject(offer, on: "vm1").isEmpty)
        #expect(sw.dropCount("vm1", .rogueDHCP) == 1)
        #expect(sw.inject(PF.routerAdvertisement(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)), on: "vm1").isEmpty)
        #expect(sw.dropCount("vm1", .rogueRA) == 1)
        // The uplink (a system port) and a --trusted tap may.
        #expect(T.ports(sw.inject(offer, on: "uplink")) == ["vm1", "vm2", "vm3"])
        #expect(T.ports(sw.inject(PF.udp4(src: PF.otherMAC, from: PF.ip4(10, 0, 0, 1), sport: 67, dport: 68), on: "vm3")).count == 3)
        // A DHCP client's request from a VM passes.
        #expect(T.ports(sw.inject(PF.udp4(src: PF.vmMAC, from: 0, sport: 68, dport: 67), on: "vm1")).count == 3)
    }

    @Test func stormControlLimitsBroadcastsButNotKnownUnicast() {
        let sw = T.bridge([port("vm1") { $0.stormBroadcast = 10 }, T.plain("vm2")])
        sw.inject(T.frame(to: vm, from: other), on: "vm2")  // learn vm2's MAC as `other`... on vm2
        var flooded = 0
        for _ in 0..<100 where !sw.inject(PF.udp4(src: PF.vmMAC, from: 1, sport: 1, dport: 2), on: "vm1").isEmpty { flooded += 1 }
        // The in-memory clock stands still: the burst (at least one frame, a tenth of a second's worth) passes, then nothing.
        #expect(flooded >= 1 && flooded <= 2)
        #expect(sw.dropCount("vm1", .storm) == 100 - flooded)
        // Known unicast is not limited.
        for _ in 0..<50 { #expect(T.ports(sw.inject(T.frame(to: other, from: vm), on: "vm1")) == ["vm2"]) }
    }

    @Test func theIngressRateLetsTheBurstPassQueuesABurstMoreAndDropsTheRest() throws {
        // 8 Mbit/s = 1 MB/s, 3000-byte burst: the burst and the frame being sent (four 1000-byte
        // frames) pass at once, three more wait (1, 2 and 3 ms: the queue holds a burst), the rest are policed.
        var p = PortPolicy()
        p.ingressRate = 8_000_000
        p.ingressBurst = 3000
        let state = try #require(PortPolicyState.make(p, trustedByDefault: false, now: 0))
        let plans = (0..<10).map { _ in state.planIngress(length: 1000, now: 0) }
        #expect(plans.prefix(4).allSatisfy { $0.drop == nil && $0.releaseAt == 0 })
        #expect(plans[4..<7].map(\.releaseAt) == [1_000_000, 2_000_000, 3_000_000])
        #expect(plans.suffix(3).allSatisfy { $0.drop == .policed })
        #expect(!state.hasEgress && state.hasIngressPlan)
    }
}
