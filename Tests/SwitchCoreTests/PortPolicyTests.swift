import SwitchCore
import Testing

@Suite("Port policy: token buckets, address guard, storm control, shaping, impairments")
struct PortPolicyTests {
    func payload(_ bytes: [UInt8]) -> FramePayload { bytes.withUnsafeBytes { FramePayload.read($0) } }

    // MARK: token bucket

    @Test func bucketAllowsTheBurstThenTheRate() {
        var b = TokenBucket(rate: 1000, burst: 100, now: 0)
        do { let ok = b.take(100, now: 0); #expect(ok) }
        do { let ok = b.take(1, now: 0); #expect(!ok) }
        do { let ok = b.take(2, now: 1_000_000); #expect(!ok) }  // 1 ms brings one token
        do { let ok = b.take(1, now: 1_000_000); #expect(ok) }
        do { let ok = b.take(50, now: 51_000_000); #expect(ok) }
        do { let ok = b.take(1, now: 51_000_000); #expect(!ok) }
    }

    @Test func bucketNeverHoldsMoreThanItsBurst() {
        var b = TokenBucket(rate: 1_000_000_000, burst: 10, now: 0)
        let avail = b.available(now: 3_600_000_000_000)
        #expect(avail == 10)
        do { let ok = b.take(11, now: 3_600_000_000_000); #expect(!ok) }
    }

    @Test func bucketMeasuresARateOverTime() {
        // 12.5 MB/s (100 Mbit/s), frames of 1500 bytes offered every 10 µs (1.2 Gbit/s) for one second.
        var b = TokenBucket(rate: 12_500_000, burst: 256 * 1024, now: 0)
        var passed = 0
        for i in 0..<100_000 where b.take(1500, now: Int64(i) * 10_000) { passed += 1500 }
        let expected = 12_500_000 + 256 * 1024
        #expect(abs(passed - expected) < 3000)
    }

    // MARK: payload facts

    @Test func readsARPIPv4AndIPv6Facts() {
        let a = payload(PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 5), targetIP: PF.ip4(10, 0, 0, 1)))
        #expect(a.kind == .arp && a.arpSenderIP == PF.ip4(10, 0, 0, 5) && a.arpSenderMAC == PF.vmMAC)
        let u = payload(PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 1), sport: 67, dport: 68, vlan: 10))
        #expect(u.kind == .ipv4 && u.isDHCPServerMessage && u.ipv4Source == PF.ip4(10, 0, 0, 1))
        let r = payload(PF.routerAdvertisement(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)))
        #expect(r.kind == .ipv6 && r.isRouterAdvertisement && r.ipv6Source == IPv6Bits(high: 0xFE80_0000_0000_0000, low: 1))
        #expect(payload(PF.dhcp6Reply(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1))).isDHCPServerMessage)
    }

    @Test func truncatedPayloadsAreOtherAndNeverCrash() {
        let full = PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 1), sport: 67, dport: 68)
        // Ethernet 14 + IPv4 20 + UDP ports 4: shorter prefixes can't be recognized; longer ones still are
        // (a truncated server message is still dropped by the guard).
        for n in 0..<full.count {
            let p = payload(Array(full.prefix(n)))
            #expect(p.isDHCPServerMessage == (n >= 38))
        }
        let ra = PF.routerAdvertisement(src: PF.vmMAC, from: (1, 1))
        for n in 0..<(ra.count - 4) { _ = payload(Array(ra.prefix(n))) }
    }

    @Test func thePrecheckNeverMissesAServerMessage() {
        let frames = [
            PF.udp4(src: PF.vmMAC, from: 1, sport: 67, dport: 68),
            PF.udp4(src: PF.vmMAC, from: 1, sport: 67, dport: 68, vlan: 10),
            PF.routerAdvertisement(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)),
            PF.dhcp6Reply(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)),
        ]
        for f in frames {
            let p = payload(f)
            #expect(p.isDHCPServerMessage || p.isRouterAdvertisement)
            #expect(f.withUnsafeBytes { FramePayload.mayBeServerMessage($0) })
        }
        // ARP and TCP-like frames are passed over without a full read.
        #expect(!PF.arp(src: PF.vmMAC, senderIP: 1, targetIP: 2).withUnsafeBytes { FramePayload.mayBeServerMessage($0) })
        var tcp = PF.udp4(src: PF.vmMAC, from: 1, sport: 67, dport: 68)
        tcp[14 + 9] = 6
        #expect(!tcp.withUnsafeBytes { FramePayload.mayBeServerMessage($0) })
    }

    @Test func linkLocalFromMACIsEUI64() {
        // 52:54:00:00:00:01 → fe80::5054:ff:fe00:1
        let ll = IPv6Bits.linkLocal(for: 0x5254_0000_0001)
        #expect(ll == IPv6Bits(high: 0xFE80_0000_0000_0000, low: 0x5054_00FF_FE00_0001))
        #expect(ll.isLinkLocal)
    }

    // MARK: address guard

    let vmIP = PF.ip4(10, 0, 0, 5)
    let vmIP6 = IPv6Bits(high: 0x2001_0DB8_0000_0000, low: 5)
    var guardLocked: AddressGuard {
        AddressGuard(entries: [.init(mac: PF.vmMAC, ipv4: [vmIP], ipv6: [vmIP6])], trusted: false)
    }

    @Test func legitimateTrafficPasses() {
        let g = guardLocked
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.arp(src: PF.vmMAC, senderIP: vmIP, targetIP: 1))) == nil)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: vmIP, sport: 5000, dport: 53))) == nil)
        // A DHCP client (0.0.0.0) and an ARP probe pass.
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: 0, sport: 68, dport: 67))) == nil)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.arp(src: PF.vmMAC, senderIP: 0, targetIP: vmIP))) == nil)
        // Link-local from the MAC and the listed global address pass; DAD (::) passes.
        let ll = IPv6Bits.linkLocal(for: PF.vmMAC)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.neighbourAdvertisement(src: PF.vmMAC, from: (ll.high, ll.low), target: (vmIP6.high, vmIP6.low)))) == nil)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.ip6(src: PF.vmMAC, from: (0, 0), next: 59, payload: [])) ) == nil)
    }

    @Test func spoofedSourcesAreDroppedByReason() {
        let g = guardLocked
        #expect(g.check(source: PF.otherMAC, payload: payload(PF.udp4(src: PF.otherMAC, from: vmIP, sport: 1, dport: 2))) == .spoofedMAC)
        // Gratuitous ARP for the gateway's address.
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.arp(src: PF.vmMAC, senderIP: PF.ip4(10, 0, 0, 1), targetIP: PF.ip4(10, 0, 0, 1)))) == .spoofedARP)
        // ARP whose sender MAC differs from the frame's source.
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.arp(src: PF.vmMAC, senderMAC: PF.otherMAC, senderIP: vmIP, targetIP: 1))) == .spoofedARP)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: PF.ip4(10, 0, 0, 9), sport: 1, dport: 2))) == .spoofedIP)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.ip6(src: PF.vmMAC, from: (0x2001_0DB8_0000_0000, 9), next: 59, payload: []))) == .spoofedIP)
        let ll = IPv6Bits.linkLocal(for: PF.vmMAC)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.neighbourAdvertisement(src: PF.vmMAC, from: (ll.high, ll.low), target: (0x2001_0DB8_0000_0000, 1)))) == .spoofedARP)
    }

    @Test func aMACOnlyEntryLeavesIPsFree() {
        let g = AddressGuard(entries: [.init(mac: PF.vmMAC)], trusted: true)
        #expect(g.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: PF.ip4(1, 2, 3, 4), sport: 1, dport: 2))) == nil)
        #expect(g.check(source: PF.otherMAC, payload: payload(PF.udp4(src: PF.otherMAC, from: 1, sport: 1, dport: 2))) == .spoofedMAC)
    }

    @Test func untrustedPortsMayNotServeDHCPOrRouterAdvertisements() {
        let open = AddressGuard(entries: [], trusted: false)
        #expect(open.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: vmIP, sport: 67, dport: 68))) == .rogueDHCP)
        #expect(open.check(source: PF.vmMAC, payload: payload(PF.dhcp6Reply(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)))) == .rogueDHCP)
        #expect(open.check(source: PF.vmMAC, payload: payload(PF.routerAdvertisement(src: PF.vmMAC, from: (0xFE80_0000_0000_0000, 1)))) == .rogueRA)
        // A DHCP client request is fine.
        #expect(open.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: 0, sport: 68, dport: 67))) == nil)
        let trusted = AddressGuard(entries: [], trusted: true)
        #expect(trusted.isInactive)
        #expect(trusted.check(source: PF.vmMAC, payload: payload(PF.udp4(src: PF.vmMAC, from: vmIP, sport: 67, dport: 68))) == nil)
    }

    // MARK: storm control

    @Test func stormControlCutsEachClassToItsRate() {
        var s = StormControl(broadcast: 1000, multicast: nil, unknownUnicast: 10)
        var bc = 0, mc = 0, uu = 0
        // 10,000 frames of each class within one second (every 100 µs).
        for i in 0..<10_000 {
            let now = Int64(i) * 100_000
            if s.admit(.broadcast, now: now) { bc += 1 }
            if s.admit(.multicast, now: now) { mc += 1 }
            if s.admit(.unknownUnicast, now: now) { uu += 1 }
        }
        #expect((1000...1101).contains(bc))
        #expect(mc == 10_000)
        #expect((10...12).contains(uu))
    }

    // MARK: egress shaper

    @Test func shaperPacesToTheRateAndDropsWhenTheQueueIsFull() {
        // 8 Mbit/s = 1 MB/s, burst 10 kB, queue 100 kB.
        var s = EgressShaper(rate: 8_000_000, burst: 10_000, queueLimit: 100_000)
        var releases: [Int64] = []
        var dropped = 0
        for _ in 0..<200 {
            if let r = s.schedule(length: 1000, now: 0) { releases.append(r) } else { dropped += 1 }
        }
        #expect(releases.prefix(10).allSatisfy { $0 == 0 })  // the burst leaves at once
        #expect(releases == releases.sorted())
        // ~110 frames fit (burst + queue), the rest are dropped.
        #expect((105...115).contains(releases.count))
        #expect(dropped == 200 - releases.count)
        // The last release is ~0.1 s out: 100 kB at 1 MB/s.
        let last = releases.last ?? 0
        #expect(abs(last - 100_000_000) < 2_000_000)
    }

    @Test func shaperLetsTrafficBelowTheRatePassAtOnce() {
        var s = EgressShaper(rate: 8_000_000, burst: 2000)
        for i in 0..<1000 {
            let now = Int64(i) * 2_000_000  // 1000 B every 2 ms = 4 Mbit/s
            let release = s.schedule(length: 1000, now: now)
            #expect(release == now)
        }
    }

    // MARK: impairments

    @Test func delayAndJitterStayInBoundsAndKeepOrder() {
        var imp = Impairment(.init(delayNanos: 20_000_000, jitterNanos: 5_000_000, seed: 7))
        var last: Int64 = 0
        for i in 0..<1000 {
            let now = Int64(i) * 10_000_000
            let v = imp.plan(length: 100, now: now)
            #expect(!v.lost && v.copies == 1)
            #expect(v.releaseAt >= now + 15_000_000 && v.releaseAt <= max(now + 25_000_000, last))
            #expect(v.releaseAt >= last)
            last = v.releaseAt
        }
    }

    @Test func lossAndDuplicationMatchTheirProbabilitiesAndTheSeed() {
        func run(seed: UInt64) -> (lost: Int, dup: Int) {
            var imp = Impairment(.init(lossPPM: 100_000, duplicatePPM: 10_000, seed: seed))
            var lost = 0, dup = 0
            for i in 0..<20_000 {
                let v = imp.plan(length: 100, now: Int64(i))
                if v.lost { lost += 1 } else if v.copies == 2 { dup += 1 }
            }
            return (lost, dup)
        }
        let a = run(seed: 42), b = run(seed: 42), c = run(seed: 43)
        #expect(a == b)
        #expect(a != c)
        #expect((1700...2300).contains(a.lost))
        #expect((120...240).contains(a.dup))
    }

    @Test func rateSerializesFrames() {
        // 10 Mbit/s: a 1250-byte frame takes 1 ms on the wire.
        var imp = Impairment(.init(rateBitsPerSecond: 10_000_000))
        let releases = (0..<10).map { _ in imp.plan(length: 1250, now: 0).releaseAt }
        #expect(releases == (1...10).map { Int64($0) * 1_000_000 })
    }
}
