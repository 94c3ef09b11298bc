import SwitchCore
import TapestryModel
import TestSupport
import Testing

// Seeded fuzzing of the frame path: generated and mutated frames through parse + decide + egress edit
// of a bridge with access, trunk and isolated ports (and a hub), checking invariants on every frame.
// Tools/fuzz runs the same engine (TestSupport.FrameFuzzer, via Sources/tapestry-fuzz) in release for 10 million frames and more.

@Suite("Frame fuzzing")
struct FuzzFrameTests {
    /// One million frames, every invariant checked.
    @Test(.timeLimit(.minutes(2)))
    func oneMillionSeededFramesKeepTheInvariants() {
        let fuzzer = FrameFuzzer(seed: 0x7A9E_5747)
        let clock = ContinuousClock()
        let elapsed = clock.measure { fuzzer.run(1_000_000) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("fuzz: \(fuzzer.frames) frames in \(seconds) s (\(Int(Double(fuzzer.frames) / seconds)) frames/s, debug), "
              + "unicast \(fuzzer.unicasts), flood \(fuzzer.floods), deliveries \(fuzzer.deliveries), "
              + "mirror copies \(fuzzer.mirrorCopiesChecked), capture copies \(fuzzer.captureCopiesChecked)")
        print("fuzz: drops " + fuzzer.dropsByName.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        print("fuzz: violations \(fuzzer.violationCounts)")
        #expect(fuzzer.frames == 1_000_000)
        // The generator reaches every interesting path (otherwise the invariants prove little).
        for reason: DropReason in [.runt, .truncatedTag, .invalidSource, .reservedGroup, .taggedOnAccess, .vlanNotAllowed,
                                   .untaggedOnTrunk, .destinationOnIngress, .isolated] {
            #expect(fuzzer.drops[Int(reason.rawValue)] > 0, "no \(reason.name) drop generated")
        }
        #expect(fuzzer.unicasts > 10_000 && fuzzer.floods > 10_000)
        // Mirror and capture copies are listed and checked too (mirror of VLAN 20 and t3; captures of a1 and VLAN 30).
        #expect(fuzzer.mirrorCopiesChecked > 10_000 && fuzzer.captureCopiesChecked > 10_000,
                "mirror copies \(fuzzer.mirrorCopiesChecked), capture copies \(fuzzer.captureCopiesChecked)")
        #expect(fuzzer.drops[Int(DropReason.mirrorOutput.rawValue)] > 0, "no frame arrived on the mirror output")
        // Includes the two bugs this fuzzer found and that are fixed now: a VLAN hop through a priority
        // tag wrapped around another tag, and moved MACs exceeding a port's --max-macs.
        #expect(fuzzer.violations.isEmpty, "invariants broken:\n\(fuzzer.violations.map(\.description).joined(separator: "\n"))")
        #expect(fuzzer.drops[Int(DropReason.nestedTag.rawValue)] > 0, "no nested-tag drop generated")
    }

    /// Different seeds reach different corners; a shorter run each.
    @Test(arguments: [1, 2, 3, 0xDEAD_BEEF] as [UInt64])
    func otherSeedsKeepTheInvariants(seed: UInt64) {
        let fuzzer = FrameFuzzer(seed: seed)
        fuzzer.run(100_000)
        #expect(fuzzer.violations.isEmpty, "seed \(seed): \(fuzzer.violations.map(\.description).joined(separator: "\n"))")
    }

    /// The VLAN hop the fuzzer finds, as a small deterministic case: an access port of VLAN 10 sends
    /// `8100 0000 | 8100 0014 | 0800`; the trunk whose native VLAN 10 is untagged must not emit `8100 0014`.
    @Test func priorityTaggedFrameWithInnerTagDoesNotHopVLANs() {
        let sw = InMemorySwitch(BridgeConfig(name: "br0", ports: [
            PortConfig(name: "vm1", type: .tap, vlan: VLANID(10)!),
            PortConfig(name: "up", type: .tap, trunk: try! VLANSet.parse("10,20"), native: VLANID(10)!, nativeMode: .untagged),
        ]))
        // dst broadcast, src 52:54:00:00:00:01, priority tag (VID 0), inner tag VID 20, IPv4.
        let attack = MACAddress.broadcast.octets + FrameBuilder.mac(1).octets
            + [0x81, 0x00, 0x00, 0x00, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00] + [UInt8](repeating: 0xAB, count: 46)
        let out = sw.inject(attack, on: "vm1")
        #expect(out.isEmpty, "the stacked frame left through \(out.map(\.port))")
        #expect(sw.dropCount("vm1", .nestedTag) == 1)
        // A plain priority-tagged frame still belongs to the access VLAN and leaves the native-untagged trunk untagged.
        let plain = MACAddress.broadcast.octets + FrameBuilder.mac(1).octets
            + [0x81, 0x00, 0x00, 0x00, 0x08, 0x00] + [UInt8](repeating: 0xAB, count: 46)
        let ok = sw.inject(plain, on: "vm1")
        #expect(ok.map(\.port) == ["up"])
        #expect(ok.first.map { $0.frame[12] == 0x08 && $0.frame[13] == 0x00 } == true)
    }

    /// The per-port limit holds also when a MAC moves onto the limited port.
    @Test func perPortLimitHoldsForMovedEntries() {
        let t = MACLearningTable(capacity: 100, agingMillis: 300_000)
        t.setLimit(2, for: 1)
        t.learn(FrameBuilder.mac(1), vlan: 10, port: 1, now: 0)
        t.learn(FrameBuilder.mac(2), vlan: 10, port: 1, now: 1)
        for i in 3...6 { t.learn(FrameBuilder.mac(UInt64(i)), vlan: 10, port: 2, now: 2) }
        #expect(t.count(of: 1) == 2)
        // Port 1 now claims the MACs learned on port 2 (a spoofer does this on purpose).
        for i in 3...6 { t.learn(FrameBuilder.mac(UInt64(i)), vlan: 10, port: 1, now: 3) }
        #expect(t.count(of: 1) <= 2, "port 1 holds \(t.count(of: 1)) entries with --max-macs 2")
    }
}

