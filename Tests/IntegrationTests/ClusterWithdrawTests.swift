import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// A host that stops carrying a segment (its last port on the segment's bridge is taken away by an
/// apply) withdraws its own MAC records of that segment at once, while it stays alive on another segment.
extension ClusterTests {
    @Test func aHostThatStopsCarryingASegmentWithdrawsItsMACs() throws {
        let lab = try Lab("clw", hosts: 3, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue"), ("vm5", 3, "blue"),
                                                     ("vm3", 1, "red"), ("vm4", 2, "red")],
                          daemonArguments: ["--arp-suppress"])
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        let vm2 = lab.mac("vm2")
        func blueRecords() -> String { lab.etcd.etcdctl("get --prefix /tapestry/t/macs/blue/").stdout }
        func h1KnowsVM2() throws -> Bool { try lab.fdb(1, "br0").entries.contains { $0.mac.description == vm2 && $0.isStatic } }
        let published = Self.within(3) { blueRecords().contains(vm2) && blueRecords().contains("192.168.77.2") }
        #expect(published != nil, "vm2's record (with its address) was not published: \(blueRecords())")
        #expect(try h1KnowsVM2())
        // vm2 leaves the fabric and br0 is on h1 and h3 only: h2 no longer carries blue (it still carries
        // red, its lease lives on).
        let text = try String(contentsOfFile: lab.file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("vm2: {host: h2") }
        let smaller = lab.world.tempDirectory + "/smaller.yaml"
        try lines.joined(separator: "\n").replacingOccurrences(of: "  br0:\n", with: "  br0:\n    hosts: [h1, h3]\n")
            .write(toFile: smaller, atomically: true, encoding: .utf8)
        let apply = lab.cluster("apply", smaller, "--wait", "3")
        try #require(apply.ok, "\(apply)")
        let gone = try Self.within(2) { try !blueRecords().contains(vm2) && !h1KnowsVM2() }
        #expect(gone != nil, "h2's records of blue lingered after it stopped carrying it: \(blueRecords())")
        // h2 is alive and still publishes on red.
        #expect(try lab.status().hosts.first { $0.host == "h2" }?.alive == true)
        #expect(lab.world.ping(from: lab.vms["vm3"]!, "192.168.77.4"))
        #expect(lab.etcd.etcdctl("get --prefix /tapestry/t/macs/red/").stdout.contains(lab.mac("vm4")))
    }
}
