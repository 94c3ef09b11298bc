import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A trunk tap port next to access ports and a default port. The kernel here has no 802.1Q
/// sub-interfaces, so tagged frames are written and read through AF_PACKET (python3) on the taps.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct VLANTrunkTests {
    @Test func trunkCarriesTaggedVLANsAndNativeUntagged() throws {
        let world = NetnsWorld("vtrk")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let r1 = try world.tapVM(d, "br0", "trunk0", address: nil, ["--trunk", "10,20", "--native", "1"])
        let v10 = try world.tapVM(d, "br0", "v10", address: nil, ["--vlan", "10"])
        let v20 = try world.tapVM(d, "br0", "v20", address: nil, ["--vlan", "20"])
        let def = try world.tapVM(d, "br0", "def", address: nil)
        for (ns, dev) in [(r1, "trunk0"), (v10, "v10"), (v20, "v20"), (def, "def")] {
            #expect(world.exec(ns, "ip link set \(dev) up").ok)
        }
        let listeners: [(ns: String, interface: String)] = [(r1, "trunk0"), (v10, "v10"), (v20, "v20"), (def, "def")]
        let kTrunk = "\(r1)/trunk0", k10 = "\(v10)/v10", k20 = "\(v20)/v20", kDef = "\(def)/def"

        // 1. A frame tagged VLAN 10 on the trunk reaches the VLAN 10 access port untagged, the
        //    default port (a trunk of all VLANs) still tagged 10, and not the VLAN 20 port.
        let m1 = "TPMARK-tagged10-\(UUID().uuidString.prefix(8))"
        let got1 = world.receiveFrames(on: listeners, marker: m1) {
            let s = world.sendFrame(r1, "trunk0", src: "02:00:00:00:10:01", vlan: 10, payload: m1)
            #expect(s.ok, "\(s)")
        }
        #expect(got1[k10]?.count == 3, "VLAN 10 port got \(got1[k10] ?? [])")
        #expect(got1[k10]?.allSatisfy { $0.vlan == nil && $0.etherType == 0x88b5 } == true, "tag not popped: \(got1[k10] ?? [])")
        #expect(got1[k20]?.isEmpty == true, "VLAN 20 port got a VLAN 10 frame: \(got1[k20] ?? [])")
        #expect(got1[kDef]?.count == 3 && got1[kDef]?.allSatisfy { $0.vlan == 10 } == true, "default port got \(got1[kDef] ?? [])")
        #expect(got1[kTrunk]?.isEmpty == true, "frame came back out of its ingress trunk: \(got1[kTrunk] ?? [])")

        // 2. A broadcast from the VLAN 20 access VM reaches the trunk tagged 20, and not VLAN 10.
        let v20MAC = world.mac(v20, "v20")
        let m2 = "TPMARK-from20-\(UUID().uuidString.prefix(8))"
        let got2 = world.receiveFrames(on: listeners, marker: m2) {
            #expect(world.sendFrame(v20, "v20", src: v20MAC, payload: m2).ok)
        }
        #expect(got2[kTrunk]?.count == 3, "trunk got \(got2[kTrunk] ?? [])")
        #expect(got2[kTrunk]?.allSatisfy { $0.vlan == 20 && $0.src == v20MAC && $0.etherType == 0x88b5 } == true,
                "trunk did not get VLAN 20 tags: \(got2[kTrunk] ?? [])")
        #expect(got2[k10]?.isEmpty == true, "VLAN 10 port got a VLAN 20 frame: \(got2[k10] ?? [])")
        #expect(got2[kDef]?.allSatisfy { $0.vlan == 20 } == true && got2[kDef]?.count == 3, "default port got \(got2[kDef] ?? [])")

        // 3. An untagged frame on the trunk belongs to native VLAN 1: only the default port gets it, untagged.
        let m3 = "TPMARK-untagged-\(UUID().uuidString.prefix(8))"
        let got3 = world.receiveFrames(on: listeners, marker: m3) {
            #expect(world.sendFrame(r1, "trunk0", src: "02:00:00:00:01:01", payload: m3).ok)
        }
        #expect(got3[kDef]?.count == 3 && got3[kDef]?.allSatisfy { $0.vlan == nil } == true, "default port got \(got3[kDef] ?? [])")
        #expect(got3[k10]?.isEmpty == true, "VLAN 10 port got a native-VLAN frame: \(got3[k10] ?? [])")
        #expect(got3[k20]?.isEmpty == true, "VLAN 20 port got a native-VLAN frame: \(got3[k20] ?? [])")

        // 4. VLAN 30 is not allowed on the trunk: nobody gets it, and the drop is counted.
        let notAllowedBefore = try d.counters("br0", "trunk0").drops["vlan-not-allowed"] ?? 0
        let m4 = "TPMARK-tagged30-\(UUID().uuidString.prefix(8))"
        let got4 = world.receiveFrames(on: listeners, marker: m4) {
            #expect(world.sendFrame(r1, "trunk0", src: "02:00:00:00:30:01", vlan: 30, payload: m4).ok)
        }
        #expect(got4.values.allSatisfy { $0.isEmpty }, "a VLAN 30 frame got through: \(got4)")
        let notAllowedAfter = try d.counters("br0", "trunk0").drops["vlan-not-allowed"] ?? 0
        #expect(notAllowedAfter - notAllowedBefore == 3, "vlan-not-allowed on trunk0: \(notAllowedBefore) → \(notAllowedAfter)")

        // 5. A tagged frame sent into an access port is dropped and counted as tagged-on-access.
        let taggedBefore = try d.counters("br0", "v10").drops["tagged-on-access"] ?? 0
        let m5 = "TPMARK-taggedaccess-\(UUID().uuidString.prefix(8))"
        let got5 = world.receiveFrames(on: listeners, marker: m5) {
            #expect(world.sendFrame(v10, "v10", src: world.mac(v10, "v10"), vlan: 10, payload: m5).ok)
        }
        #expect(got5.values.allSatisfy { $0.isEmpty }, "a tagged frame from an access port got through: \(got5)")
        let taggedAfter = try d.counters("br0", "v10").drops["tagged-on-access"] ?? 0
        #expect(taggedAfter - taggedBefore == 3, "tagged-on-access on v10: \(taggedBefore) → \(taggedAfter)")

        // 6. With --native-mode tagged, native VLAN 1 leaves the trunk tagged 1.
        let set = d.cli("set-port", "br0", "trunk0", "--native-mode", "tagged")
        #expect(set.ok, "\(set)")
        let m6 = "TPMARK-nativetagged-\(UUID().uuidString.prefix(8))"
        let defMAC = world.mac(def, "def")
        let got6 = world.receiveFrames(on: listeners, marker: m6) {
            #expect(world.sendFrame(def, "def", src: defMAC, payload: m6).ok)
        }
        #expect(got6[kTrunk]?.count == 3 && got6[kTrunk]?.allSatisfy { $0.vlan == 1 } == true,
                "trunk with native-mode tagged got \(got6[kTrunk] ?? [])")
        #expect(got6[k10]?.isEmpty == true && got6[k20]?.isEmpty == true, "native VLAN leaked into access ports: \(got6)")
    }
}
