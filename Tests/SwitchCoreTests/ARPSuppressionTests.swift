import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// ARP suppression through the decision pipeline: a broadcast request from a local port for an IP
/// the bridge has a binding for is answered on that port (byte-exact reply) and goes nowhere else;
/// unknown IPs, other VLANs, gratuitous ARP and malformed ARP are switched as before; senders are snooped.
@Suite("ARP suppression")
struct ARPSuppressionTests {
    static let requester: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x01]
    static let known: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x99]
    static let requesterIP: [UInt8] = [10, 0, 0, 1], knownIP: [UInt8] = [10, 0, 0, 9]

    /// A bridge with two local ports (a: access 10, t: trunk of 10 and 20 untagged native 10) and a
    /// tunnel; 10.0.0.9 is bound to 52:54:00:00:00:99 on VLAN 10, 10.0.0.20 on VLAN 20.
    func world(suppress: Bool = true) -> InMemorySwitch {
        let vx = PortConfig(name: "vx0", type: .vxlan, trunk: T.set("10,20"),
                            vxlan: VXLANConfig(vni: 42, remotes: [IPAddress(ipv4: 0x0A00_0002)]))
        var config = BridgeConfig(name: "br0", ports: [T.access("a", 10), T.access("b", 10),
                                                       T.trunk("t", "10,20", native: 10, mode: .untagged), vx])
        if suppress {
            config.arpSuppression = ARPSuppressionConfig(bindings: [
                ARPBinding(vlan: T.vlan(10), ip: IPv4Address("10.0.0.9")!, mac: MACAddress("52:54:00:00:00:99")!),
                ARPBinding(vlan: T.vlan(20), ip: IPv4Address("10.0.0.20")!, mac: MACAddress("52:54:00:00:00:20")!)],
                neighbors: [NDBinding(vlan: T.vlan(10), ip: IPAddress("fd00::9")!, mac: MACAddress("52:54:00:00:00:99")!)])
        }
        return InMemorySwitch(config)
    }

    static func arp(op: UInt8 = 1, dst: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], src: [UInt8] = requester,
                    senderIP: [UInt8] = requesterIP, targetMAC: [UInt8] = [0, 0, 0, 0, 0, 0], targetIP: [UInt8] = knownIP,
                    tag: UInt16? = nil) -> [UInt8] {
        var f = dst + src
        if let tag { f += [0x81, 0x00, UInt8(tag >> 8), UInt8(tag & 0xFF)] }
        return f + [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, op] + src + senderIP + targetMAC + targetIP
    }

    @Test func aRequestForABoundIPIsAnsweredByteExactOnItsPortOnly() {
        let sw = world()
        let out = sw.deliveries(Self.arp(), on: "a")
        #expect(out.map(\.kind) == [.reply] && out.map(\.port) == ["a"], "\(out.map { ($0.kind, $0.port) })")
        let expected: [UInt8] = Self.requester + Self.known + [0x08, 0x06]
            + [0, 1, 0x08, 0x00, 6, 4, 0, 2] + Self.known + Self.knownIP + Self.requester + Self.requesterIP
        #expect(out.first?.frame == expected)
        #expect(sw.lastDecision?.action == .answered)
        #expect(sw.engine.arpAnswered == 1)
        // Not flooded: neither to the tunnel nor to the local ports.
        #expect(!out.contains { $0.port == "vx0" || $0.port == "b" })
    }

    @Test func aCaptureOfThePortSeesTheRequestInAndTheReplyOut() {
        let sw = world()
        sw.startCapture("cap", port: "a")
        sw.startCapture("tunnel", port: "vx0")
        let out = sw.deliveries(Self.arp(), on: "a")
        #expect(out.map(\.kind) == [.captureIncoming, .captureReply, .reply], "\(out.map(\.kind))")
        let seen = sw.captured["cap"] ?? []
        #expect(seen.count == 2 && seen[0].incoming && seen[0].frame == Self.arp() && !seen[1].incoming && seen[1].frame == out.last?.frame)
        #expect(sw.captured["tunnel"] == nil)
    }

    @Test func aTaggedRequestGetsATaggedReply() {
        let sw = world()
        let out = sw.inject(Self.arp(targetIP: [10, 0, 0, 20], tag: 20), on: "t")
        #expect(out.map(\.port) == ["t"])
        let frame = out.first?.frame ?? []
        #expect(frame.count == 46 && Array(frame.prefix(16)) == Self.requester + [0x52, 0x54, 0, 0, 0, 0x20, 0x81, 0x00, 0x00, 20])
        #expect(Array(frame.suffix(20)) == [0x52, 0x54, 0, 0, 0, 0x20, 10, 0, 0, 20] + Self.requester + Self.requesterIP)
        // The native VLAN's request leaves untagged.
        #expect(sw.inject(Self.arp(), on: "t").first?.frame.count == 42)
    }

    @Test func unknownIPsOtherVLANsAndGratuitousARPAreFloodedAsBefore() {
        let sw = world()
        #expect(T.ports(sw.inject(Self.arp(targetIP: [10, 0, 0, 77]), on: "a")) == ["b", "t", "vx0"])
        // 10.0.0.20 is bound on VLAN 20 only: a request on VLAN 10 is not answered.
        #expect(T.ports(sw.inject(Self.arp(targetIP: [10, 0, 0, 20]), on: "a")) == ["b", "t", "vx0"])
        // Gratuitous ARP (sender = target), a probe (sender 0.0.0.0) and a unicast request go on.
        #expect(T.ports(sw.inject(Self.arp(senderIP: Self.knownIP), on: "a")) == ["b", "t", "vx0"])
        #expect(T.ports(sw.inject(Self.arp(senderIP: [0, 0, 0, 0]), on: "a")) == ["b", "t", "vx0"])
        #expect(T.ports(sw.inject(Self.arp(dst: [0x52, 0x54, 0, 0, 0, 0x55]), on: "b")).contains("vx0"))
        // A request from the bound MAC itself is not answered with its own MAC.
        #expect(T.ports(sw.inject(Self.arp(src: Self.known, senderIP: [10, 0, 0, 3]), on: "a")) == ["b", "t", "vx0"])
        // From the tunnel (not a local port): switched as before.
        #expect(T.ports(sw.inject(Self.arp(src: [0x52, 0x54, 0, 0, 0, 0x77], tag: 10), on: "vx0")) == ["a", "b", "t"])
        #expect(sw.engine.arpAnswered == 0)
    }

    @Test func withoutSuppressionNothingIsAnsweredOrSnooped() {
        let sw = world(suppress: false)
        #expect(T.ports(sw.inject(Self.arp(), on: "a")) == ["b", "t", "vx0"])
        #expect(sw.engine.arpSnoop.count == 0 && sw.engine.arpAnswered == 0)
    }

    @Test func sendersOfLocalPortsAreSnoopedAndAge() {
        let sw = world()
        _ = sw.inject(Self.arp(targetIP: [10, 0, 0, 77]), on: "a")
        _ = sw.inject(Self.arp(op: 2, dst: Self.requester, src: [0x52, 0x54, 0, 0, 0, 2], senderIP: [10, 0, 0, 2],
                               targetMAC: Self.requester, targetIP: Self.requesterIP), on: "b")
        // Tunnel senders are not snooped (they are other hosts' to publish); nor a sender MAC that is not the frame's source.
        _ = sw.inject(Self.arp(src: [0x52, 0x54, 0, 0, 0, 0x77], senderIP: [10, 0, 0, 7], tag: 10), on: "vx0")
        var proxied = Self.arp(src: [0x52, 0x54, 0, 0, 0, 3], senderIP: [10, 0, 0, 3])
        proxied[27] = 0x44
        _ = sw.inject(proxied, on: "b")
        let seen = sw.engine.arpSnoop.all().map { "\($0.vlan) \($0.ip) \($0.mac) \($0.port)" }
        #expect(seen == ["10 10.0.0.1 52:54:00:00:00:01 \(sw.portID("a")!)", "10 10.0.0.2 52:54:00:00:00:02 \(sw.portID("b")!)"])
        sw.now = 400_000
        sw.engine.expire(now: sw.now)
        #expect(sw.engine.arpSnoop.count == 0)
    }

    @Test func malformedARPIsCountedNeverAnsweredNeverACrash() {
        let sw = world()
        let good = Self.arp()
        // Truncated at every length, a wrong hardware type, protocol, lengths, opcode.
        for n in 14..<good.count { _ = sw.inject(Array(good.prefix(n)), on: "a") }
        for (offset, value) in [(15, UInt8(6)), (16, 0x86), (18, 8), (19, 16), (21, 9)] {
            var bad = good
            bad[offset] = value
            #expect(sw.inject(bad, on: "a").allSatisfy { $0.port != "a" }, "offset \(offset)")
        }
        #expect(sw.engine.arpMalformed == UInt64(good.count - 14 - 0) + 5)
        #expect(sw.engine.arpAnswered == 0 && sw.engine.arpSnoop.count == 0)
        // Random bytes after an ARP ethertype.
        var rng = SplitMix64(seed: 18)
        for _ in 0..<2000 {
            var f = Self.arp()
            for k in 14..<f.count where rng.next() % 4 == 0 { f[k] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = sw.inject(Array(f.prefix(14 + Int(rng.next() % 30))), on: "a")
        }
    }

    // MARK: - IPv6 neighbour discovery

    static let fd00_1: [UInt8] = [0xFD] + [UInt8](repeating: 0, count: 14) + [1]
    static let fd00_9: [UInt8] = [0xFD] + [UInt8](repeating: 0, count: 14) + [9]

    /// A neighbour solicitation from `src` (IPv6 source `from`) for `target`, to the target's
    /// solicited-node group, with a source link-layer address option (checksum left 0: not checked).
    static func solicitation(from: [UInt8] = fd00_1, target: [UInt8] = fd00_9, src: [UInt8] = requester, hop: UInt8 = 255) -> [UInt8] {
        let group: [UInt8] = [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF] + Array(target.suffix(3))
        let icmp: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + target + [1, 1] + src
        return [0x33, 0x33, 0xFF] + Array(target.suffix(3)) + src + [0x86, 0xDD]
            + [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, hop] + from + group + icmp
    }

    /// The ones' complement sum of the ICMPv6 message and its pseudo-header: 0xFFFF when the checksum is right.
    static func checksumOK(_ f: [UInt8]) -> Bool {
        let length = Int(f[18]) << 8 | Int(f[19])
        guard f.count >= 54 + length else { return false }
        let pseudo = ReferenceChecksum.ipv6PseudoHeader(source: Array(f[22..<38]), destination: Array(f[38..<54]), nextHeader: 58, length: length)
        return ReferenceChecksum.sum(pseudo + Array(f[54..<(54 + length)])) == 0xFFFF
    }

    @Test func aSolicitationForABoundIPv6AddressIsAnsweredByteExact() {
        let sw = world()
        let out = sw.deliveries(Self.solicitation(), on: "a")
        #expect(out.map(\.kind) == [.reply] && out.map(\.port) == ["a"], "\(out.map { ($0.kind, $0.port) })")
        let na = out.first?.frame ?? []
        let expectedWithoutChecksum: [UInt8] = Self.requester + Self.known + [0x86, 0xDD]
            + [0x60, 0, 0, 0, 0, 32, 58, 255] + Self.fd00_9 + Self.fd00_1
            + [136, 0, 0, 0, 0x60, 0, 0, 0] + Self.fd00_9 + [2, 1] + Self.known
        var blanked = na
        if blanked.count == 86 { blanked[56] = 0; blanked[57] = 0 }
        #expect(blanked == expectedWithoutChecksum)
        #expect(na.count == 86 && Self.checksumOK(na), "bad ICMPv6 checksum: \(na)")
        #expect(sw.engine.arpAnswered == 1)
    }

    @Test func duplicateAddressDetectionUnknownTargetsAndBadHopLimitsAreFlooded() {
        let sw = world()
        let unspecified = [UInt8](repeating: 0, count: 16)
        #expect(T.ports(sw.inject(Self.solicitation(from: unspecified), on: "a")) == ["b", "t", "vx0"])
        #expect(T.ports(sw.inject(Self.solicitation(target: [0xFD] + [UInt8](repeating: 0, count: 14) + [0x77]), on: "a")) == ["b", "t", "vx0"])
        #expect(T.ports(sw.inject(Self.solicitation(hop: 64), on: "a")) == ["b", "t", "vx0"])
        // Truncated at every length: never answered, never a crash.
        let good = Self.solicitation()
        for n in 14..<good.count { #expect(sw.inject(Array(good.prefix(n)), on: "a").allSatisfy { $0.port != "a" }) }
        #expect(sw.engine.arpAnswered == 0)
    }

    @Test func advertisementsAndSolicitationsAreSnooped() {
        let sw = world()
        // vm at fd00::1 solicits (its source is snooped); another advertises fd00::2 (its target is snooped).
        _ = sw.inject(Self.solicitation(target: [0xFD] + [UInt8](repeating: 0, count: 14) + [0x77]), on: "a")
        let fd00_2: [UInt8] = [0xFD] + [UInt8](repeating: 0, count: 14) + [2]
        let icmp: [UInt8] = [136, 0, 0, 0, 0x60, 0, 0, 0] + fd00_2 + [2, 1, 0x52, 0x54, 0, 0, 0, 2]
        let na = Self.requester + [0x52, 0x54, 0, 0, 0, 2, 0x86, 0xDD] + [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 255]
            + fd00_2 + Self.fd00_1 + icmp
        _ = sw.inject(na, on: "b")
        let seen = sw.engine.arpSnoop.allNeighbors().map { "\($0.vlan) \($0.ip) \($0.mac)" }
        #expect(seen == ["10 fd00::1 52:54:00:00:00:01", "10 fd00::2 52:54:00:00:00:02"])
    }
}
