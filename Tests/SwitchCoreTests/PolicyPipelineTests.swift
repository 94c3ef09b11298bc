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

    @Test func thePolicerDropsOverTheBurst() {
        // 8 Mbit/s, 3000-byte burst; the clock stands still, so only the burst passes.
        let sw = T.bridge([port("vm1") { $0.ingressRate = 8_000_000; $0.ingressBurst = 3000 }, T.plain("vm2")])
        let f = FrameBuilder.ethernet(dst: other, src: vm, ethertype: 0x88B5, payload: Array(repeating: 0, count: 986))  // 1000 bytes
        var passed = 0
        for _ in 0..<10 where !sw.inject(f, on: "vm1").isEmpty { passed += 1 }
        #expect(passed == 3)
        #expect(sw.dropCount("vm1", .policed) == 7)
    }
}
