import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Port mirrors (SPAN to a tap where tcpdump listens) and `trace` checked against what the
/// switch really does.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ObservabilityMirrorTraceTests {
    @Test func mirrorCopiesSelectedPortToSpanWhileTrafficPasses() throws {
        let world = NetnsWorld("omir")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.63.0.1/24")
        _ = try world.tapVM(d, "br0", "vm2", address: "10.63.0.2/24")
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.63.0.3/24")
        let span = try world.tapVM(d, "br0", "span0", address: nil)
        #expect(world.exec(span, "ip link set span0 up").ok)
        #expect(world.ping(from: vm1, "10.63.0.2"))
        #expect(world.ping(from: vm3, "10.63.0.2"))

        let add = d.cli("mirror-add", "br0", "m0", "--select-port", "vm1", "--output-port", "span0")
        #expect(add.ok, "\(add)")
        var pingsPassed = false, unselectedPassed = false
        let seen = world.capture(span, "span0", filter: "icmp") {
            pingsPassed = world.exec(vm1, "ping -c 5 -i 0.1 -W 1 10.63.0.2").ok
            unselectedPassed = world.exec(vm3, "ping -c 3 -i 0.1 -W 1 10.63.0.2").ok
        }
        #expect(pingsPassed, "the mirrored VM's pings must still pass")
        #expect(unselectedPassed)
        // Both directions of vm1's traffic arrive on the span port; vm3's does not.
        #expect(seen.filter { $0.contains("10.63.0.1 > 10.63.0.2: ICMP echo request") }.count >= 5, "\(seen)")
        #expect(seen.filter { $0.contains("10.63.0.2 > 10.63.0.1: ICMP echo reply") }.count >= 5, "\(seen)")
        #expect(!seen.contains { $0.contains("10.63.0.3") }, "an unselected port was mirrored: \(seen)")

        let list = try d.json(MirrorListResult.self, "mirror-list", "br0")
        #expect(list.mirrors.count == 1)
        #expect(list.mirrors.first?.mirror.selectPorts == ["vm1"])
        #expect((list.mirrors.first?.outputTxPackets ?? 0) >= 10)
        let text = d.cli("mirror-list", "br0")
        #expect(text.stdout.contains("m0") && text.stdout.contains("ports vm1") && text.stdout.contains("span0"), "\(text)")

        // The trace says where the copy goes, too.
        let mac1 = world.mac(vm1, "vm1"), mac2 = world.mac(world.prefix + "-vm2", "vm2")
        let t = try d.json(TraceResult.self, "trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", mac2)
        #expect(t.mirroredTo == ["span0"], "\(t)")

        #expect(d.cli("mirror-del", "br0", "m0").ok)
        #expect(try d.json(MirrorListResult.self, "mirror-list", "br0").mirrors.isEmpty)
        let again = d.cli("mirror-del", "br0", "m0")
        #expect(again.status == 1, "\(again)")
        #expect(d.cli("mirror-del", "br0", "m0", "--if-exists").ok)
        let after = world.capture(span, "span0", filter: "icmp") {
            _ = world.exec(vm1, "ping -c 3 -i 0.1 -W 1 10.63.0.2")
        }
        #expect(!after.contains { $0.contains("10.63.0.1 > 10.63.0.2") }, "copies after mirror-del: \(after)")
    }

    @Test func traceMatchesForwarding() throws {
        let world = NetnsWorld("otrace")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.64.0.1/24")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.64.0.2/24")
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.64.0.3/24")
        #expect(world.ping(from: vm1, "10.64.0.2"))
        let mac1 = world.mac(vm1, "vm1"), mac2 = world.mac(vm2, "vm2")

        // Learning: known unicast goes to exactly one port, and vm3 indeed sees none of it.
        let known = try d.json(TraceResult.self, "trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", mac2)
        #expect(known.action == "unicast")
        #expect(known.outputs.map(\.port) == ["vm2"], "\(known)")
        #expect(known.steps.contains { $0.contains("is on port vm2") }, "\(known.steps)")
        let leaked = world.capture(vm3, "vm3", filter: "icmp") {
            _ = world.exec(vm1, "ping -c 3 -i 0.1 -W 1 10.64.0.2")
        }
        #expect(leaked.isEmpty, "vm3 saw known unicast: \(leaked)")
        let text = d.cli("trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", mac2)
        #expect(text.ok && text.stdout.contains("Result: unicast to vm2"), "\(text)")

        // Tracing does not learn: the synthetic source stays unknown.
        _ = d.cli("trace", "br0", "--in-port", "vm3", "--src", "52:54:00:77:77:77", "--dst", mac1)
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        #expect(!fdb.entries.contains { $0.mac.description == "52:54:00:77:77:77" })

        // Flooding: an unknown destination goes to every other port, as a real frame does.
        let unknown = try d.json(TraceResult.self, "trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", "52:54:00:99:99:99")
        #expect(unknown.action == "flood")
        #expect(Set(unknown.outputs.map(\.port)) == ["vm2", "vm3"], "\(unknown)")
        let flooded = world.capture(vm3, "vm3", filter: "ether dst 52:54:00:99:99:99") {
            _ = world.sendRaw(vm1, "vm1", src: mac1, dst: "52:54:00:99:99:99")
        }
        let floodedFrames = flooded.filter { !$0.hasPrefix("\t") }  // tcpdump adds hex lines for an unknown ethertype
        #expect(floodedFrames.count == 1, "the unknown unicast should be flooded to vm3: \(flooded)")

        // Isolated: two isolated ports skip each other; an open port still gets the flood.
        let iso1 = try world.tapVM(d, "br0", "iso1", address: "10.64.0.11/24", ["--isolated"])
        _ = try world.tapVM(d, "br0", "iso2", address: "10.64.0.12/24", ["--isolated"])
        let isoMAC = world.mac(iso1, "iso1")
        let iso = try d.json(TraceResult.self, "trace", "br0", "--in-port", "iso1", "--src", isoMAC, "--dst", "52:54:00:99:99:98")
        #expect(!iso.outputs.map(\.port).contains("iso2"), "\(iso)")
        #expect(iso.outputs.map(\.port).contains("vm1"), "\(iso)")
        #expect(iso.steps.contains("skip iso2: both ports isolated"), "\(iso.steps)")
        #expect(!world.ping(from: iso1, "10.64.0.12", count: 2))
        #expect(world.ping(from: iso1, "10.64.0.1", count: 2))

        // VLAN: an access port of VLAN 10 floods to VLAN 10 and trunks (tagged), skips VLAN 20.
        let a10 = try world.tapVM(d, "br0", "a10", address: "10.64.10.1/24", ["--vlan", "10"])
        _ = try world.tapVM(d, "br0", "b10", address: "10.64.10.2/24", ["--vlan", "10"])
        _ = try world.tapVM(d, "br0", "c20", address: "10.64.10.3/24", ["--vlan", "20"])
        let a10MAC = world.mac(a10, "a10")
        let v = try d.json(TraceResult.self, "trace", "br0", "--in-port", "a10", "--src", a10MAC, "--dst", "ff:ff:ff:ff:ff:ff")
        #expect(v.vlan?.value == 10)
        let outs = Dictionary(uniqueKeysWithValues: v.outputs.map { ($0.port, $0.tagging) })
        #expect(outs["b10"] == "untagged", "\(v)")
        #expect(outs["vm1"] == "tagged 10", "\(v)")
        #expect(outs["c20"] == nil, "\(v)")
        #expect(v.steps.contains("skip c20: does not carry VLAN 10"), "\(v.steps)")
        #expect(world.ping(from: a10, "10.64.10.2", count: 2))
        #expect(!world.ping(from: a10, "10.64.10.3", count: 2))
        let tagged = try d.json(TraceResult.self, "trace", "br0", "--in-port", "a10", "--src", a10MAC, "--dst", mac1, "--vlan", "20")
        #expect(tagged.action == "drop" && tagged.dropReason == "tagged-on-access", "\(tagged)")

        // VXLAN: the flood leaves through the tunnel port with its VNI and remotes.
        let vx = d.cli("add-port", "br0", "vx0", "--type", "vxlan", "--vni", "4242", "--remote", "10.64.99.2", "--remote", "10.64.99.3")
        #expect(vx.ok, "\(vx)")
        let tunnel = try d.json(TraceResult.self, "trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", "52:54:00:99:99:97")
        let out = tunnel.outputs.first { $0.port == "vx0" }
        #expect(out?.vni == 4242, "\(tunnel)")
        #expect(out?.remotes?.map(\.description) == ["10.64.99.2", "10.64.99.3"], "\(tunnel)")
        let tunnelText = d.cli("trace", "br0", "--in-port", "vm1", "--src", mac1, "--dst", "52:54:00:99:99:97")
        #expect(tunnelText.stdout.contains("VXLAN VNI 4242 to 10.64.99.2, 10.64.99.3"), "\(tunnelText)")
    }
}

extension NetnsWorld {
    /// Sends one frame from `src` to `dst` (ethertype 0x88b5, local experimental) out of `interface` in `ns`.
    func sendRaw(_ ns: String, _ interface: String, src: String, dst: String) -> Shell.Output {
        let hex = { (m: String) in m.split(separator: ":").joined() }
        return exec(ns, "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
                    + "s.bind((\"\(interface)\", 0)); s.send(bytes.fromhex(\"\(hex(dst))\(hex(src))88b5\") + bytes(46))'")
    }
}
