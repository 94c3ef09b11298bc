import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Malformed and special frames written into a real tap: each is dropped and counted under its
/// reason, never forwarded, and the switch keeps forwarding afterwards.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct MalformedFrameTests {
    @Test func malformedFramesAreCountedAndDropped() throws {
        let world = NetnsWorld("malf")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let m1 = try world.tapVM(d, "br0", "p1", address: nil)
        let m2 = try world.tapVM(d, "br0", "p2", address: nil, ["--vlan", "10"])
        let m3 = try world.tapVM(d, "br0", "p3", address: nil)
        for (ns, dev) in [(m1, "p1"), (m2, "p2"), (m3, "p3")] { #expect(world.exec(ns, "ip link set \(dev) up").ok) }
        let listeners: [(ns: String, interface: String)] = [(m1, "p1"), (m2, "p2"), (m3, "p3")]
        func hex(_ s: String) -> String { s.utf8.map { String(format: "%02x", $0) }.joined() }
        func drops(_ port: String) throws -> [String: UInt64] { try d.counters("br0", port).drops }

        let before = try drops("p1")
        let marker = "TPMARK-malformed-\(UUID().uuidString.prefix(8))"
        let bcast = "ffffffffffff", src = "0200000000aa", exp = "88b5"
        let got = world.receiveFrames(on: listeners, marker: marker) {
            // (A runt shorter than 14 bytes cannot be written into a tap: AF_PACKET refuses it.)
            // An 802.1Q ethertype with only one byte of tag after it.
            #expect(world.sendRawFrame(m1, "p1", hex: bcast + src + "8100" + "00").ok)
            // Multicast and all-zero source MACs.
            #expect(world.sendRawFrame(m1, "p1", hex: bcast + "01005e000001" + exp + hex(marker)).ok)
            #expect(world.sendRawFrame(m1, "p1", hex: bcast + "000000000000" + exp + hex(marker)).ok)
            // IEEE reserved link-local group (STP's address): not forwarded.
            #expect(world.sendRawFrame(m1, "p1", hex: "0180c2000000" + src + exp + hex(marker)).ok)
            // VLAN 4095 is reserved.
            #expect(world.sendRawFrame(m1, "p1", hex: bcast + src + "81000fff" + exp + hex(marker)).ok)
        }
        #expect(got.values.allSatisfy { $0.isEmpty }, "a malformed frame was forwarded: \(got)")
        let after = try drops("p1")
        for reason in ["truncated-tag", "reserved-group", "vlan-not-allowed"] {
            #expect((after[reason] ?? 0) - (before[reason] ?? 0) == 3, "\(reason): \(before[reason] ?? 0) → \(after[reason] ?? 0); all: \(after)")
        }
        #expect((after["invalid-source-mac"] ?? 0) - (before["invalid-source-mac"] ?? 0) == 6, "invalid-source-mac: \(after)")
        #expect(d.isAlive, "tapestryd died on malformed frames")
        #expect(try d.json(FDBShowResult.self, "fdb-show", "br0").entries.allSatisfy { $0.mac.description != "01:00:5e:00:00:01" && $0.mac.description != "00:00:00:00:00:00" })

        // A priority-tagged frame (VID 0) on the VLAN 10 access port belongs to VLAN 10; a trunk gets it tagged 10.
        let prio = "TPMARK-prio-\(UUID().uuidString.prefix(8))"
        let p2MAC = world.mac(m2, "p2").replacingOccurrences(of: ":", with: "")
        let got2 = world.receiveFrames(on: listeners, marker: prio) {
            #expect(world.sendRawFrame(m2, "p2", hex: bcast + p2MAC + "8100c000" + exp + hex(prio)).ok)
        }
        #expect(got2["\(m3)/p3"]?.count == 3 && got2["\(m3)/p3"]?.allSatisfy { $0.vlan == 10 && $0.etherType == 0x88b5 } == true,
                "priority-tagged frame from an access port: \(got2)")

        // The switch still forwards a good frame.
        let ok = "TPMARK-good-\(UUID().uuidString.prefix(8))"
        let got3 = world.receiveFrames(on: listeners, marker: ok) {
            #expect(world.sendFrame(m1, "p1", src: "02:00:00:00:00:bb", payload: ok).ok)
        }
        #expect(got3["\(m3)/p3"]?.count == 3, "good frame after malformed ones: \(got3)")
        #expect(got3["\(m2)/p2"]?.isEmpty == true, "VLAN 1 frame reached the VLAN 10 access port: \(got3)")
    }
}
