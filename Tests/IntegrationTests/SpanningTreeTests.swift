import ControlProtocol
import Foundation
import TestSupport
import Testing

/// RSTP between real daemons: a triangle of three Tapestry bridges (one daemon per host namespace,
/// veth links between them, a VM on each), and a loop through a Linux kernel bridge running STP.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct SpanningTreeIntegrationTests {
    /// The ports of `d`'s br0 that join other bridges (all but the VMs'), with their STP state.
    static func linkPorts(_ d: NetnsWorld.Daemon) throws -> [STPPortStatus] {
        try d.json(STPShowResult.self, "stp-show", "br0").ports.filter { !$0.name.hasPrefix("vm") && $0.name != "br0" }  // not the VMs, not the local port
    }

    @Test func triangleOfThreeDaemonsBlocksOneLinkCarriesOneCopyAndHealsFast() throws {
        let world = NetnsWorld("rstp")
        defer { world.close() }
        let hosts = (1...3).map { world.namespace("h\($0)") }
        world.veth("l12", in: hosts[0], "l21", in: hosts[1])
        world.veth("l23", in: hosts[1], "l32", in: hosts[2])
        world.veth("l31", in: hosts[2], "l13", in: hosts[0])
        var daemons: [NetnsWorld.Daemon] = []
        var vms: [String] = []
        let links = [["l12", "l13"], ["l21", "l23"], ["l32", "l31"]]
        for (i, h) in hosts.enumerated() {
            let d = try world.startDaemon(in: h, name: "d\(i + 1)", arguments: ["--datapath-threads", "2"])
            daemons.append(d)
            #expect(d.cli("add-br", "br0").ok)
            let stp = d.cli("set-br", "br0", "--stp", "rstp", "--stp-priority", String(4096 * (i + 1)))
            #expect(stp.ok, "\(stp)")
            vms.append(try world.tapVM(d, "br0", "vm\(i + 1)", address: "10.59.0.\(i + 1)/24"))
        }
        let start = Date()
        for (i, d) in daemons.enumerated() {
            for l in links[i] {
                let add = d.cli("add-port", "br0", l, "--type", "system")
                #expect(add.ok, "\(add)")
            }
        }
        // Converged within 3 s: exactly one link port (h3's end of h2–h3) discarding, all others forwarding.
        var blocked: [String] = []
        var forwarding = 0
        repeat {
            usleep(100_000)
            let all = try daemons.enumerated().flatMap { i, d in try Self.linkPorts(d).map { ("h\(i + 1):\($0.name)", $0) } }
            blocked = all.filter { $0.1.state != "forwarding" }.map(\.0)
            forwarding = all.count - blocked.count
        } while (blocked.count != 1 || forwarding != 5) && Date().timeIntervalSince(start) < 3
        let converged = Date().timeIntervalSince(start)
        #expect(blocked == ["h3:l32"] && forwarding == 5,
                "after \(converged) s blocked \(blocked); \(daemons.map { $0.cli("stp-show", "br0").stdout })")
        let root = try daemons[2].json(STPShowResult.self, "stp-show", "br0")
        #expect(root.rootPort == "l31" && !root.isRoot && root.rootID.hasPrefix("1000."), "\(root)")
        #expect(try daemons[0].json(STPShowResult.self, "stp-show", "br0").isRoot)

        for (i, vm) in vms.enumerated() {
            for j in 1...3 where j != i + 1 {
                #expect(world.ping(from: vm, "10.59.0.\(j)"), "vm\(i + 1) cannot reach 10.59.0.\(j)")
            }
        }

        // One broadcast from vm1 reaches vm2 and vm3 exactly once over 5 s (no storm, no duplicate).
        let send = "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((\"vm1\", 0)); "
            + "s.send(bytes.fromhex(\"ffffffffffff\") + bytes.fromhex(\"020000000099\") + b\"\\x88\\xb5\" + b\"tapestry-once\" + bytes(40))'"
        let boxes = [LockedLines(), LockedLines()]
        let group = DispatchGroup()
        for k in 0..<2 {
            group.enter()
            let vm = vms[k + 1], name = "vm\(k + 2)", box = boxes[k]
            Thread {
                box.set(world.capture(vm, name, filter: "ether proto 0x88b5") { usleep(5_600_000) })
                group.leave()
            }.start()
        }
        usleep(900_000)
        #expect(world.exec(vms[0], send).ok)
        group.wait()
        let seen = boxes.map { $0.get().filter { $0.contains("02:00:00:00:00:99 > ff:ff:ff:ff:ff:ff") } }
        #expect(seen[0].count == 1, "vm2 saw the broadcast \(seen[0].count) times: \(seen[0].prefix(3))")
        #expect(seen[1].count == 1, "vm3 saw the broadcast \(seen[1].count) times: \(seen[1].prefix(3))")

        // show and graph draw the blocked link.
        let show3 = try daemons[2].portStatus("br0", "l32")
        #expect(show3?.stpRole == "alternate" && show3?.stpState == "discarding", "\(String(describing: show3))")
        #expect(daemons[2].cli("graph").stdout.contains("\"br:br0\" -- \"port:br0/l32\" [style=dashed, color=orange"))

        // Bad BPDUs from vm1 (truncated, RST with version 0, hello 200 s) are counted and change nothing.
        let bad = ["0180c20000000200000000010026424203000002", // truncated
                   "0180c20000000200000000010027424203000000023c" + String(repeating: "00", count: 35),  // RST type, version 0
                   "0180c2000000020000000001002742420300000202" + "3c" + String(repeating: "00", count: 24)
                       + "0000" + "1400" + "c800" + "0f00" + "00"]  // hello 200 s
        let rootBefore = try daemons[0].json(STPShowResult.self, "stp-show", "br0").rootID
        for hex in bad {
            let r = world.exec(vms[0], "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
                               + "s.bind((\"vm1\", 0)); s.send(bytes.fromhex(\"\(hex)\").ljust(60, b\"\\0\"))'")
            #expect(r.ok, "\(r)")
        }
        usleep(300_000)
        let afterBad = try daemons[0].json(STPShowResult.self, "stp-show", "br0")
        #expect(afterBad.ports.first { $0.name == "vm1" }?.rxBad == 3, "\(afterBad.ports)")
        #expect(afterBad.rootID == rootBefore && afterBad.isRoot)
        #expect(afterBad.ports.first { $0.name == "vm1" }?.edge == true, "a bad BPDU ended edge status")

        // Cut the forwarding link h1–h3: vm3 reaches vm1 again within 2 s (over h2, through h3's former alternate).
        #expect(world.ping(from: vms[2], "10.59.0.1", count: 1))
        let cut = Date()
        #expect(world.exec(hosts[0], "ip link set l13 down").ok)
        var back = false
        while Date().timeIntervalSince(cut) < 5 {
            if world.exec(vms[2], "ping -c 1 -W 0.2 10.59.0.1").ok { back = true; break }
        }
        let healed = Date().timeIntervalSince(cut)
        if !(back && healed < 2) {  // what each daemon saw, to tell a slow tree from a stale MAC table
            print("cut at \(cut.timeIntervalSince1970)")
            for (i, d) in daemons.enumerated() { print("--- d\(i + 1) events\n" + d.cli("events").stdout.split(separator: "\n").suffix(40).joined(separator: "\n")) }
        }
        #expect(back && healed < 2, "traffic back after \(healed) s; \(daemons[2].cli("stp-show", "br0").stdout)")
        let after = try Self.linkPorts(daemons[2])
        #expect(after.first { $0.name == "l32" }?.state == "forwarding" && after.first { $0.name == "l32" }?.role == "root")
        print("RSTP triangle: converged in \(String(format: "%.2f", converged)) s, traffic back \(String(format: "%.2f", healed)) s after the cut")
        let alive = daemons.allSatisfy { $0.isAlive }
        #expect(alive)
    }
}

extension SpanningTreeIntegrationTests {
    /// Two Tapestry bridges and a Linux kernel bridge running legacy STP (`stp_state 1`) in a loop:
    /// Tapestry falls back to configuration BPDUs on the ports facing the kernel bridge, the three
    /// form one tree within the legacy timers (2 × forward delay 15 s, within 35 s) and stay storm-free.
    @Test func mixedLoopWithALinuxKernelSTPBridgeConverges() throws {
        let world = NetnsWorld("kstp")
        defer { world.close() }
        let h1 = world.namespace("h1"), h2 = world.namespace("h2"), kb = world.namespace("kb")
        let kernel = world.exec(kb, "ip link add br0 type bridge stp_state 1 && ip link set br0 up && ip addr add 10.60.0.9/24 dev br0")
        guard kernel.ok else {
            Issue.record("no kernel bridge with STP in a namespace here: \(kernel)")
            return
        }
        #expect(world.exec(kb, "cat /sys/class/net/br0/bridge/stp_state").stdout.hasPrefix("1"), "kernel STP not on")
        world.veth("a12", in: h1, "a21", in: h2)
        world.veth("k1", in: h1, "p1", in: kb)
        world.veth("k2", in: h2, "p2", in: kb)
        #expect(world.exec(kb, "ip link set p1 master br0 && ip link set p2 master br0").ok)
        let d1 = try world.startDaemon(in: h1, name: "d1"), d2 = try world.startDaemon(in: h2, name: "d2")
        var vms: [String] = []
        for (i, d) in [d1, d2].enumerated() {
            #expect(d.cli("add-br", "br0").ok)
            #expect(d.cli("set-br", "br0", "--stp", "rstp", "--stp-priority", String(4096 * (i + 1))).ok)
            vms.append(try world.tapVM(d, "br0", "vm\(i + 1)", address: "10.60.0.\(i + 1)/24"))
        }
        for (d, ports) in [(d1, ["a12", "k1"]), (d2, ["a21", "k2"])] {
            for p in ports { #expect(d.cli("add-port", "br0", p, "--type", "system").ok) }
        }
        let start = Date()
        // Kernel port states: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking.
        func kernelStates() -> [String] {
            ["p1", "p2"].map { world.exec(kb, "cat /sys/class/net/br0/brif/\($0)/state").stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        var settled = false
        var picture = ""
        while Date().timeIntervalSince(start) < 35 {
            sleep(1)
            let ours = try [d1, d2].flatMap { d in try Self.linkPorts(d).map(\.state) }
            let theirs = kernelStates()
            let blocked = ours.filter { $0 != "forwarding" }.count + theirs.filter { $0 != "3" }.count
            picture = "tapestry \(ours) kernel \(theirs)"
            if blocked == 1 && !ours.contains("learning") && !theirs.contains("1") && !theirs.contains("2") { settled = true; break }
        }
        let took = Date().timeIntervalSince(start)
        print("mixed loop with a kernel STP bridge: settled after \(String(format: "%.1f", took)) s: \(picture)")
        #expect(settled, "not one tree after \(took) s: \(picture)\n\(d1.cli("stp-show", "br0").stdout)\(d2.cli("stp-show", "br0").stdout)")
        let legacy = try Self.linkPorts(d1).first { $0.name == "k1" }
        #expect(legacy?.legacyPeer == true, "k1 does not speak STP to the kernel bridge: \(String(describing: legacy))")
        #expect(world.exec(kb, "cat /sys/class/net/br0/bridge/root_id").stdout.contains("1000."), "the kernel bridge does not see h1 as root")

        #expect(world.ping(from: vms[0], "10.60.0.2"), "vm1 cannot reach vm2")
        #expect(world.ping(from: vms[1], "10.60.0.9"), "vm2 cannot reach the kernel bridge")
        // One broadcast from vm1 is received exactly once by vm2 over 5 s.
        let send = "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((\"vm1\", 0)); "
            + "s.send(bytes.fromhex(\"ffffffffffff\") + bytes.fromhex(\"020000000098\") + b\"\\x88\\xb5\" + b\"tapestry-once\" + bytes(40))'"
        let lines = world.capture(vms[1], "vm2", filter: "ether proto 0x88b5") {
            _ = world.exec(vms[0], send)
            sleep(5)
        }.filter { $0.contains("02:00:00:00:00:98 > ff:ff:ff:ff:ff:ff") }
        #expect(lines.count == 1, "vm2 saw the broadcast \(lines.count) times")
    }
}

extension SpanningTreeIntegrationTests {
    /// A libvirt network's bridge runs RSTP as libvirt's runs STP: `<bridge stp='on'/>` (libvirt's default
    /// when the attribute is absent) turns it on, `stp='off'` leaves it off.
    @Test func libvirtNetworkWithSTPOnRunsRSTP() throws {
        let world = NetnsWorld("nstp")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(Shell.run("chmod o+x \(world.tempDirectory) \(d.directory)").ok)  // dnsmasq's user reaches the state directory
        let xml = "\(world.tempDirectory)/stpnet.xml"
        try "<network><name>stpnet</name><bridge name='stpbr0' stp='on' delay='4'/></network>\n"
            .write(toFile: xml, atomically: true, encoding: .utf8)
        let create = d.cli("net-create", xml)
        #expect(create.ok, "\(create.stdout) \(create.stderr)\n\(d.log.suffix(1500))")
        let stp = try d.json(STPShowResult.self, "stp-show", "stpbr0")
        #expect(stp.mode == "rstp" && stp.forwardDelay == 4 && stp.isRoot, "\(stp)")
        #expect(stp.ports.map(\.name) == ["stpbr0"])
        let plain = "\(world.tempDirectory)/plain.xml"
        try "<network><name>plain</name><bridge name='plainbr0' stp='off'/></network>\n".write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(d.cli("net-create", plain).ok)
        let off = d.cli("stp-show", "plainbr0")
        #expect(!off.ok && off.stderr.contains("STP is off"), "\(off)")
    }
}

/// Lines captured on another thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func set(_ l: [String]) { lock.withLock { lines = l } }
    func get() -> [String] { lock.withLock { lines } }
}

extension SpanningTreeIntegrationTests {
    /// `--stp-p2p auto` (the default): a system port is point-to-point unless its link is half duplex
    /// (a shared medium); taps and veths are. `yes`/`no` override what the link says.
    @Test func pointToPointAutoFollowsTheLinksDuplex() throws {
        let world = NetnsWorld("p2p")
        defer { world.close() }
        let host = world.namespace("host"), other = world.namespace("other")
        world.veth("v0", in: host, "v1", in: other)
        // A tap without a reader (no carrier) whose driver says 10 Mbit/s half duplex, as an old hub link would.
        let tap = world.exec(host, "ip tuntap add dev hd0 mode tap && ethtool -s hd0 speed 10 duplex half autoneg off && ip link set hd0 up")
        #expect(tap.ok, "\(tap)")
        #expect(world.exec(host, "ethtool hd0 | grep -q 'Duplex: Half'").ok, "the tap does not report half duplex")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        #expect(d.cli("set-br", "br0", "--stp", "rstp").ok)
        #expect(d.cli("add-port", "br0", "v0", "--type", "system").ok)
        #expect(d.cli("add-port", "br0", "hd0", "--type", "system").ok)
        _ = try world.tapVM(d, "br0", "vm1", address: nil)
        func p2p() throws -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: try d.json(STPShowResult.self, "stp-show", "br0").ports.compactMap { p in
                p.pointToPoint.map { (p.name, $0) }
            })
        }
        var seen = try p2p()
        #expect(seen["v0"] == true && seen["vm1"] == true && seen["hd0"] == false, "auto: \(seen)")
        #expect(d.cli("stp-show", "br0").stdout.contains("P2P"))
        #expect(d.cli("set-port", "br0", "hd0", "--stp-p2p", "yes").ok)
        #expect(d.cli("set-port", "br0", "v0", "--stp-p2p", "no").ok)
        seen = try p2p()
        #expect(seen["hd0"] == true && seen["v0"] == false, "yes/no: \(seen)")
        #expect(d.cli("set-port", "br0", "hd0", "--stp-p2p", "auto").ok)
        seen = try p2p()
        #expect(seen["hd0"] == false, "auto again: \(seen)")
        let bad = d.cli("set-port", "br0", "hd0", "--stp-p2p", "sometimes")
        #expect(!bad.ok && bad.stderr.contains("stp-p2p"), "\(bad)")
    }
}
