import ControlProtocol
import Foundation
import TestSupport
import Testing

/// `tapestry capture`: BPF filters compiled by libpcap, pcap files read back by tcpdump, VLAN
/// captures, line output, refusals.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ObservabilityCaptureTests {
    @Test func filteredCaptureWritesExactlyTheMatchingFrames() throws {
        let world = NetnsWorld("ocap")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24")
        _ = try world.tapVM(d, "br0", "vm2", address: "10.61.0.2/24")

        // -c 3 --filter icmp during a ping with a fresh ARP exchange: exactly 3 ICMP frames, no ARP.
        let file = "\(world.tempDirectory)/icmp.pcap"
        let before = d.eventCount("capture-started")
        let cap = world.backgroundCLI(d, ["capture", "br0", "vm1", "-c", "3", "--filter", "icmp", "-w", file], name: "cap1")
        #expect(d.waitCaptureStarted(after: before), "capture did not start: \((try? String(contentsOfFile: cap.stderr, encoding: .utf8)) ?? "")")
        world.exec(vm1, "ip neigh flush dev vm1")
        #expect(world.ping(from: vm1, "10.61.0.2", count: 5))
        #expect(world.waitExit(cap.pid), "capture -c 3 did not stop")
        let stderr = (try? String(contentsOfFile: cap.stderr, encoding: .utf8)) ?? ""
        #expect(stderr.contains("3 frames captured"), "\(stderr)")
        let (lines, out) = world.readPcap(file)
        #expect(out.ok, "tcpdump -r failed: \(out)")
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.allSatisfy { $0.contains("ICMP echo") }, "\(lines)")
        #expect(lines.filter { $0.contains("ICMP echo request") }.count >= 2, "\(lines)")
        #expect(d.leftoverCaptureSockets.isEmpty, "\(d.leftoverCaptureSockets)")

        // Without -w: one tcpdump-like line per frame with direction, MACs, ethertype and addresses.
        let mac1 = world.mac(vm1, "vm1")
        let before2 = d.eventCount("capture-started")
        let text = world.backgroundCLI(d, ["capture", "br0", "vm1", "-c", "2", "--direction", "in", "--filter", "icmp"], name: "cap2")
        #expect(d.waitCaptureStarted(after: before2))
        #expect(world.ping(from: vm1, "10.61.0.2", count: 3))
        #expect(world.waitExit(text.pid))
        let printed = ((try? String(contentsOfFile: text.stdout, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(printed.count == 2, "\(printed)")
        for line in printed {
            #expect(line.contains(" in  \(mac1) > "), "\(line)")
            #expect(line.contains("IPv4 (0x0800), 10.61.0.1 > 10.61.0.2: ICMP echo request"), "\(line)")
        }

        // A nanosecond pcap is read back as such.
        let nanoFile = "\(world.tempDirectory)/nano.pcap"
        let before3 = d.eventCount("capture-started")
        let nano = world.backgroundCLI(d, ["capture", "br0", "vm1", "-c", "1", "--filter", "icmp", "--nano", "-w", nanoFile], name: "cap3")
        #expect(d.waitCaptureStarted(after: before3))
        #expect(world.ping(from: vm1, "10.61.0.2", count: 2))
        #expect(world.waitExit(nano.pid))
        let magic = (try? Data(contentsOf: URL(fileURLWithPath: nanoFile)))?.prefix(4).map { $0 } ?? []
        #expect(magic == [0x4D, 0x3C, 0xB2, 0xA1], "nanosecond pcap magic, got \(magic)")
        #expect(world.readPcap(nanoFile).lines.count == 1)
    }

    @Test func vlanCaptureSeesOnlyThatVLANTagged() throws {
        let world = NetnsWorld("ovlan")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let a1 = try world.tapVM(d, "br0", "a1", address: "10.62.10.1/24", ["--vlan", "10"])
        _ = try world.tapVM(d, "br0", "a2", address: "10.62.10.2/24", ["--vlan", "10"])
        let b1 = try world.tapVM(d, "br0", "b1", address: "10.62.20.1/24", ["--vlan", "20"])
        _ = try world.tapVM(d, "br0", "b2", address: "10.62.20.2/24", ["--vlan", "20"])

        let file = "\(world.tempDirectory)/vlan10.pcap"
        let before = d.eventCount("capture-started")
        let cap = world.backgroundCLI(d, ["capture", "br0", "--vlan", "10", "-w", file], name: "vcap")
        #expect(d.waitCaptureStarted(after: before))
        #expect(world.ping(from: a1, "10.62.10.2", count: 3))
        #expect(world.ping(from: b1, "10.62.20.2", count: 3))
        usleep(200_000)
        kill(cap.pid, SIGINT)  // the capture stops cleanly on Ctrl-C
        #expect(world.waitExit(cap.pid), "capture did not stop on SIGINT")
        let stderr = (try? String(contentsOfFile: cap.stderr, encoding: .utf8)) ?? ""
        #expect(stderr.contains("frames captured") && stderr.contains("0 frames dropped"), "\(stderr)")
        let (lines, out) = world.readPcap(file)
        #expect(out.ok, "\(out)")
        // Requests and replies both enter the bridge: at least 6 ICMP frames, all tagged VLAN 10.
        #expect(lines.filter { $0.contains("ICMP echo") }.count >= 6, "\(lines)")
        #expect(lines.allSatisfy { $0.contains("vlan 10") }, "\(lines.filter { !$0.contains("vlan 10") })")
        #expect(!lines.contains { $0.contains("10.62.20.") || $0.contains("vlan 20") }, "VLAN 20 leaked into the capture")
        #expect(d.leftoverCaptureSockets.isEmpty)
    }

    @Test func badFiltersAndUnknownPortsAreRefusedBeforeAnythingStarts() throws {
        let world = NetnsWorld("obad")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        _ = try world.tapVM(d, "br0", "vm1", address: nil)

        let bad = d.cli("capture", "br0", "vm1", "--filter", "icmp and and")
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("could not capture vm1: bad filter 'icmp and and': "), "\(bad)")
        #expect(bad.stderr.contains("syntax error"), "\(bad)")
        #expect(d.eventCount("capture-started") == 0)

        let unknown = d.cli("capture", "br0", "nope", "-c", "1")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no such port nope"), "\(unknown)")
        let noBridge = d.cli("capture", "br9", "vm1", "-c", "1")
        #expect(noBridge.status == 1 && noBridge.stderr.contains("no such bridge"), "\(noBridge)")
        let nothing = d.cli("capture", "br0")
        #expect(nothing.status == 1 && nothing.stderr.contains("name a port or a --vlan"), "\(nothing)")
        let out = d.cli("capture", "br0", "--vlan", "10", "--direction", "out")
        #expect(out.status == 1 && out.stderr.contains("--direction out needs a port"), "\(out)")
        let badDirection = d.cli("capture", "br0", "vm1", "--direction", "sideways")
        #expect(badDirection.status == 1 && badDirection.stderr.contains("invalid direction 'sideways'"), "\(badDirection)")
        let unwritable = d.cli("capture", "br0", "vm1", "-w", "/nonexistent-dir/x.pcap")
        #expect(unwritable.status == 1 && unwritable.stderr.hasPrefix("could not capture vm1: could not write"), "\(unwritable)")
        #expect(d.eventCount("capture-started") == 0)
        #expect(d.leftoverCaptureSockets.isEmpty, "\(d.leftoverCaptureSockets)")

        let trace = d.cli("trace", "br0", "--in-port", "nope", "--src", "52:54:00:00:00:01", "--dst", "52:54:00:00:00:02")
        #expect(trace.status == 1 && trace.stderr.contains("no such port nope"), "\(trace)")
        let mirror = d.cli("mirror-add", "br0", "m0", "--select-port", "vm1", "--output-port", "nope")
        #expect(mirror.status == 1 && mirror.stderr.contains("no such output port nope"), "\(mirror)")
        let noSelection = d.cli("mirror-add", "br0", "m0", "--output-port", "vm1")
        #expect(noSelection.status == 1 && noSelection.stderr.contains("select something"), "\(noSelection)")
    }
}
