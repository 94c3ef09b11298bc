import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Isolation under attack: a tenant crafts frames with python3 AF_PACKET in its own VM namespace and
/// tries to cross a VLAN, isolation or tunnel-segment boundary. Each attack has a sanity frame that
/// must arrive where it belongs, so that "nothing arrived" means the boundary held, not a broken setup.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct SecurityIsolationTests {
    /// A world with one daemon, bridge br0, and tap VMs `(name, add-port options)` (no addresses).
    static func world(_ tag: String, _ vms: [(String, [String])]) throws -> (NetnsWorld, NetnsWorld.Daemon, [String: String]) {
        let world = NetnsWorld(tag)
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        guard d.cli("add-br", "br0").ok else { throw TestWorldError("add-br failed") }
        var ns: [String: String] = [:]
        for (name, options) in vms {
            ns[name] = try world.tapVM(d, "br0", name, address: nil, options)
            world.exec(ns[name]!, "ip link set \(name) up")
        }
        return (world, d, ns)
    }

    static func hex(_ s: String) -> String { s.utf8.map { String(format: "%02x", $0) }.joined() }
    static func mac(_ s: String) -> String { s.replacingOccurrences(of: ":", with: "") }
    static let src = "02:aa:00:00:00:01"

    /// A frame in hex: dst, src, the tag words in order (e.g. ["8100000a", "81000014"]), ethertype 88b5, payload.
    static func frame(dst: String = "ff:ff:ff:ff:ff:ff", src: String = src, tags: [String], payload: String) -> String {
        mac(dst) + mac(src) + tags.joined() + "88b5" + hex(payload) + String(repeating: "00", count: 40)
    }

    static func payloads(_ frames: [RawFrame]?) -> [String] { (frames ?? []).map(\.payload) }

    @Test func victimVLANTagOnAnAccessPortIsDropped() throws {
        let (world, d, ns) = try Self.world("atag", [("att", ["--vlan", "20"]), ("vic", ["--vlan", "10"]), ("tr", ["--trunk", "10,20"])])
        defer { world.close() }
        let vicMAC = world.mac(ns["vic"]!, "vic")
        let seen = world.receiveFrames(on: [(ns["vic"]!, "vic"), (ns["tr"]!, "tr")], marker: "atk-tag") {
            world.sendFrame(ns["att"]!, "att", src: Self.src, vlan: 10, payload: "atk-tag-bcast", count: 5)
            world.sendFrame(ns["att"]!, "att", dst: vicMAC, src: Self.src, vlan: 10, payload: "atk-tag-ucast", count: 5)
            world.sendFrame(ns["att"]!, "att", src: Self.src, vlan: 4095, payload: "atk-tag-4095", count: 3)
            world.sendFrame(ns["att"]!, "att", src: Self.src, payload: "atk-tag-sanity", count: 3)
        }
        let vic = Self.payloads(seen["\(ns["vic"]!)/vic"]), tr = seen["\(ns["tr"]!)/tr"] ?? []
        #expect(vic.isEmpty, "VLAN 10 victim received: \(vic)")
        #expect(!tr.contains { $0.payload.hasPrefix("atk-tag-bcast") || $0.payload.hasPrefix("atk-tag-ucast") || $0.payload.hasPrefix("atk-tag-4095") },
                "trunk received the attacker's tagged frames: \(tr)")
        #expect(tr.contains { $0.payload.hasPrefix("atk-tag-sanity") && $0.vlan == 20 }, "sanity frame missing on the trunk: \(tr)")
        #expect(tr.allSatisfy { $0.vlan == 20 }, "\(tr)")
        let drops = try d.counters("br0", "att").drops["tagged-on-access"] ?? 0
        #expect(drops >= 13, "tagged-on-access drops on att: \(drops)")
    }

    @Test func doubleTaggedFramesOnAnAccessPortNeverReachTheOtherVLAN() throws {
        let (world, d, ns) = try Self.world("aqinq", [("att", ["--vlan", "20"]), ("vic", ["--vlan", "10"]), ("tr", ["--trunk", "10,20"])])
        defer { world.close() }
        let seen = world.receiveFrames(on: [(ns["vic"]!, "vic"), (ns["tr"]!, "tr")], marker: "atk-qinq") {
            // 802.1Q outer VID 10, inner VID 10.
            world.sendRawFrame(ns["att"]!, "att", hex: Self.frame(tags: ["8100000a", "8100000a"], payload: "atk-qinq-qq"), count: 5)
            // 802.1ad S-tag VID 10, inner C-tag VID 10.
            world.sendRawFrame(ns["att"]!, "att", hex: Self.frame(tags: ["88a8000a", "8100000a"], payload: "atk-qinq-ad"), count: 5)
            // 802.1Q outer VID 10, inner S-tag 20.
            world.sendRawFrame(ns["att"]!, "att", hex: Self.frame(tags: ["8100000a", "88a80014"], payload: "atk-qinq-qa"), count: 5)
            world.sendFrame(ns["att"]!, "att", src: Self.src, payload: "atk-qinq-sanity", count: 3)
        }
        let vic = Self.payloads(seen["\(ns["vic"]!)/vic"]), tr = seen["\(ns["tr"]!)/tr"] ?? []
        #expect(vic.isEmpty, "VLAN 10 victim received: \(vic)")
        // Whatever reaches the trunk is in the attacker's VLAN 20. (An S-tagged frame is untagged payload of
        // VLAN 20 on an access port; it leaves as 8100/20 + 88a8/10, and the reader reports the inline S-tag.)
        #expect(tr.filter { !$0.payload.contains("atk-qinq-ad") }.allSatisfy { $0.vlan == 20 }, "trunk received frames outside VLAN 20: \(tr)")
        #expect(!tr.contains { $0.payload.hasPrefix("atk-qinq-qq") || $0.payload.hasPrefix("atk-qinq-qa") }, "\(tr)")
        #expect(tr.contains { $0.payload.hasPrefix("atk-qinq-sanity") }, "sanity frame missing: \(tr)")
        #expect((try d.counters("br0", "att").drops["tagged-on-access"] ?? 0) >= 10)
    }

    @Test func priorityTaggedFramesStayInTheAccessVLAN() throws {
        let (world, _, ns) = try Self.world("aprio", [("att", ["--vlan", "10"]), ("peer", ["--vlan", "10"]),
                                                      ("other", ["--vlan", "20"]), ("tr", ["--trunk", "10,20"])])
        defer { world.close() }
        let seen = world.receiveFrames(on: [(ns["peer"]!, "peer"), (ns["other"]!, "other"), (ns["tr"]!, "tr")], marker: "atk-prio") {
            world.sendFrame(ns["att"]!, "att", src: Self.src, vlan: 0, payload: "atk-prio-vid0", count: 5)
            world.sendRawFrame(ns["att"]!, "att", hex: Self.frame(tags: ["8100e000"], payload: "atk-prio-pcp7"), count: 5)
        }
        let peer = seen["\(ns["peer"]!)/peer"] ?? [], other = Self.payloads(seen["\(ns["other"]!)/other"]), tr = seen["\(ns["tr"]!)/tr"] ?? []
        #expect(other.isEmpty, "VLAN 20 received priority-tagged frames from VLAN 10: \(other)")
        #expect(peer.count >= 8, "VLAN 10 peer did not get the priority-tagged frames: \(peer)")
        #expect(peer.allSatisfy { $0.vlan == nil || $0.vlan == 0 }, "access peer got a VLAN tag: \(peer)")
        #expect(tr.count >= 8 && tr.allSatisfy { $0.vlan == 10 }, "trunk must see them in VLAN 10: \(tr)")
    }

    /// The fuzzer's finding end to end: two bridges joined by a veth trunk whose native VLAN 10 is untagged.
    /// A VM on access VLAN 10 sends `8100 0000 | 8100 0014`: the first bridge pops the priority tag, the
    /// second reads VID 20 and delivers the frame into VLAN 20.
    @Test func priorityTagAroundAnInnerTagDoesNotHopOverANativeVLANTrunk() throws {
        let world = NetnsWorld("ahop")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        world.veth("up0", in: host, "up1", in: host)
        #expect(d.cli("add-br", "br0").ok && d.cli("add-br", "br1").ok)
        for (br, up) in [("br0", "up0"), ("br1", "up1")] {
            let r = d.cli("add-port", br, up, "--type", "system", "--trunk", "10,20", "--native", "10")
            #expect(r.ok, "\(r)")
        }
        let att = try world.tapVM(d, "br0", "att", address: nil, ["--vlan", "10"])
        let v10 = try world.tapVM(d, "br1", "v10", address: nil, ["--vlan", "10"])
        let v20 = try world.tapVM(d, "br1", "v20", address: nil, ["--vlan", "20"])
        for (n, i) in [(att, "att"), (v10, "v10"), (v20, "v20")] { world.exec(n, "ip link set \(i) up") }
        let seen = world.receiveFrames(on: [(v10, "v10"), (v20, "v20")], marker: "atk-hop") {
            world.sendFrame(att, "att", src: Self.src, payload: "atk-hop-sanity", count: 3)
            world.sendRawFrame(att, "att", hex: Self.frame(tags: ["81000000", "81000014"], payload: "atk-hop-prio"), count: 5)
            world.sendRawFrame(att, "att", hex: Self.frame(tags: ["81000000", "88a80014"], payload: "atk-hop-prio-ad"), count: 5)
        }
        let p10 = Self.payloads(seen["\(v10)/v10"]), p20 = Self.payloads(seen["\(v20)/v20"])
        #expect(p10.contains { $0.hasPrefix("atk-hop-sanity") }, "sanity frame did not cross the trunk: \(p10)")
        // Fixed: a priority tag wrapped around another tag is dropped (nested-tag) instead of being popped.
        #expect(p20.isEmpty, "VLAN 20 victim on the other bridge received VLAN 10 attacker frames: \(p20)")
        let drops = try d.json(StatsResult.self, "stats", "br0", "att").ports[0].drops
        #expect(drops["nested-tag"] == 10, "\(drops)")
    }

    @Test func macSpoofFromAnotherVLANDoesNotDivertTheVictimsTraffic() throws {
        let (world, d, ns) = try Self.world("aspoof", [("vic", ["--vlan", "10"]), ("peer", ["--vlan", "10"]), ("att", ["--vlan", "20"])])
        defer { world.close() }
        world.exec(ns["vic"]!, "ip addr add 10.63.0.1/24 dev vic")
        world.exec(ns["peer"]!, "ip addr add 10.63.0.2/24 dev peer")
        #expect(world.ping(from: ns["peer"]!, "10.63.0.1"))
        let vicMAC = world.mac(ns["vic"]!, "vic"), peerMAC = world.mac(ns["peer"]!, "peer")
        // The attacker claims the victim's MAC in its own VLAN, repeatedly.
        world.sendFrame(ns["att"]!, "att", src: vicMAC, payload: "spoof", count: 20)
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        #expect(fdb.entries.contains { $0.mac.description == vicMAC && $0.vlan.value == 10 && $0.port == "vic" }, "victim's VLAN 10 entry moved: \(fdb.entries)")
        let seen = world.receiveFrames(on: [(ns["vic"]!, "vic"), (ns["att"]!, "att")], marker: "atk-spoof") {
            world.sendFrame(ns["peer"]!, "peer", dst: vicMAC, src: peerMAC, payload: "atk-spoof-to-victim", count: 5)
        }
        #expect(Self.payloads(seen["\(ns["att"]!)/att"]).isEmpty, "attacker received the victim's unicast")
        #expect(Self.payloads(seen["\(ns["vic"]!)/vic"]).count >= 5, "victim lost its unicast: \(seen)")
        #expect(world.ping(from: ns["peer"]!, "10.63.0.1"))
    }

    @Test func floodsFromAnIsolatedPortNeverReachAnotherIsolatedPort() throws {
        let (world, d, ns) = try Self.world("aiso", [("iso1", ["--isolated"]), ("iso2", ["--isolated"]), ("open", [])])
        defer { world.close() }
        let iso2MAC = world.mac(ns["iso2"]!, "iso2")
        // iso2 talks once so that its MAC is known (unicast to it is then a lookup hit).
        world.sendFrame(ns["iso2"]!, "iso2", src: iso2MAC, payload: "hello", count: 2)
        let seen = world.receiveFrames(on: [(ns["iso2"]!, "iso2"), (ns["open"]!, "open")], marker: "atk-iso") {
            world.sendFrame(ns["iso1"]!, "iso1", src: Self.src, payload: "atk-iso-bcast", count: 5)
            world.sendFrame(ns["iso1"]!, "iso1", dst: "02:ee:00:00:00:99", src: Self.src, payload: "atk-iso-unknown", count: 5)
            world.sendFrame(ns["iso1"]!, "iso1", dst: "01:00:5e:00:00:01", src: Self.src, payload: "atk-iso-mcast", count: 5)
            world.sendFrame(ns["iso1"]!, "iso1", dst: iso2MAC, src: Self.src, payload: "atk-iso-known", count: 5)
            world.sendFrame(ns["iso1"]!, "iso1", src: Self.src, vlan: 0, payload: "atk-iso-prio", count: 5)
        }
        let iso2 = Self.payloads(seen["\(ns["iso2"]!)/iso2"]), open = Self.payloads(seen["\(ns["open"]!)/open"])
        #expect(iso2.isEmpty, "isolated iso2 received from isolated iso1: \(iso2)")
        for kind in ["bcast", "unknown", "mcast", "prio"] {
            #expect(open.contains { $0.hasPrefix("atk-iso-\(kind)") }, "sanity: open port missed \(kind): \(open)")
        }
        #expect((try d.counters("br0", "iso1").drops["isolated"] ?? 0) >= 5)
    }

    /// Crafted VXLAN packets at a host's tunnel socket: a VNI no port carries (from a real remote), and the
    /// right VNI from an underlay address that is not a remote. Neither reaches the VM; the real remote with
    /// the right VNI does (sanity).
    @Test func foreignVNIAndForeignSourceOnTheTunnelSocketNeverReachAVM() throws {
        var lab = try VXLANTests.Lab("avni", hosts: 2)
        defer { lab.world.close() }
        for (i, d) in lab.daemons.enumerated() { #expect(d.cli("add-br", "br0").ok); lab.addVM(i + 1, host: i + 1) }
        lab.vxlan(host: 1, remotes: [2])
        lab.vxlan(host: 2, remotes: [1])
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
        // An attacker on the underlay (10.0.0.9), beside the two hosts.
        let world = lab.world
        let evil = world.namespace("evil")
        world.veth("u9", in: world.prefix + "-ul", "eth0", in: evil)
        world.exec(world.prefix + "-ul", "ip link set u9 master ul")
        world.exec(evil, "ip addr add 10.0.0.9/24 dev eth0")
        let sender = world.tempDirectory + "/vxsend.py"
        try #"""
        import socket, sys
        src, dst, vni, payload, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
        inner = b'\xff' * 6 + bytes.fromhex('02aa00000077') + b'\x88\xb5' + payload.encode().ljust(46, b'\0')
        pkt = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, 'big') + b'\0' + inner
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        for i in range(count):
            s.sendto(pkt, (dst, 4789))
        """#.write(toFile: sender, atomically: true, encoding: .utf8)
        func send(from ns: String, _ src: String, vni: Int, _ payload: String) {
            let r = world.exec(ns, "\(NetnsWorld.python) \(sender) \(src) 10.0.0.1 \(vni) \(payload) 5")
            #expect(r.ok, "\(r)")
        }
        let vm1 = lab.vms[0]
        let dropsBefore = try lab.daemons[0].counters("br0", "vx42").drops
        let seen = world.receiveFrames(on: [(vm1, "vm1")], marker: "atk-vni") {
            send(from: lab.hosts[1], "10.0.0.2", vni: 99, "atk-vni-foreign")
            send(from: lab.hosts[1], "10.0.0.2", vni: 0, "atk-vni-zero")
            send(from: evil, "10.0.0.9", vni: 42, "atk-vni-spoofed-source")
            send(from: lab.hosts[1], "10.0.0.2", vni: 42, "atk-vni-sanity")
        }
        let got = Self.payloads(seen["\(vm1)/vm1"])
        #expect(!got.contains { $0.hasPrefix("atk-vni-foreign") || $0.hasPrefix("atk-vni-zero") }, "a foreign VNI reached vm1: \(got)")
        #expect(!got.contains { $0.hasPrefix("atk-vni-spoofed-source") }, "VNI 42 from a non-remote reached vm1: \(got)")
        #expect(got.contains { $0.hasPrefix("atk-vni-sanity") }, "sanity: VNI 42 from the remote did not arrive: \(got)")
        let dropsAfter = try lab.daemons[0].counters("br0", "vx42").drops
        print("tunnel drops before \(dropsBefore) after \(dropsAfter)")
        #expect((dropsAfter["tunnel-vxlan-unknown-vni"] ?? 0) - (dropsBefore["tunnel-vxlan-unknown-vni"] ?? 0) >= 10, "\(dropsAfter)")
    }
}
