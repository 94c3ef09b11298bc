import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Bonds against a plain peer: a Linux bridge in a peer namespace on two veths (no LACP). A VM
/// behind the bond pings a server on the peer bridge; cutting a member (the peer's end goes down,
/// so the bond's end loses carrier) moves the traffic to the other member within a second, the
/// MAC table keeps the server on the bond port, floods from the peer reach the VM once, and a
/// restart restores the bond from config.json.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct BondTests {
    @Test(arguments: ["active-backup", "balance-slb"])
    func aBondSurvivesACutMemberAgainstAPlainPeer(mode: String) throws {
        let world = NetnsWorld("bond")
        defer { world.close() }
        let host = world.namespace("host")
        let peer = world.namespace("peer")
        world.veth("m0", in: host, "p0", in: peer)
        world.veth("m1", in: host, "p1", in: peer)
        let setup = world.exec(peer, "ip link add pbr type bridge && ip link set p0 master pbr && ip link set p1 master pbr "
                               + "&& ip link set pbr up && ip addr add 10.61.0.9/24 dev pbr")
        #expect(setup.ok, "\(setup)")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let add = d.cli("add-bond", "br0", "bond0", "m0", "m1", "--mode", mode)
        #expect(add.ok, "\(add)\n\(d.log.suffix(2000))")
        let vm = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24")
        #expect(world.exec(vm, "sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0").ok)

        let shown = try d.json(BondShowResult.self, "bond-show", "bond0")
        #expect(shown.members.map(\.name) == ["m0", "m1"] && shown.members.allSatisfy(\.enabled), "\(shown)")
        #expect(shown.members.filter(\.active).count == 1)
        if mode == "balance-slb" { #expect(shown.buckets.count == 256 && Set(shown.buckets) == ["m0", "m1"]) }
        #expect(world.ping(from: vm, "10.61.0.9"), "VM cannot reach the server through the bond\n\(d.log.suffix(2000))")

        // One flow leaves by one member: the VM's echo requests appear on exactly one of the peer's ends.
        var onP1: [String] = []
        let onP0 = world.capture(peer, "p0", filter: "icmp and icmp[icmptype] == icmp-echo") {
            onP1 = world.capture(peer, "p1", filter: "icmp and icmp[icmptype] == icmp-echo") {
                _ = world.exec(vm, "ping -c 10 -i 0.05 -W 1 10.61.0.9")
            }
        }
        #expect((onP0.count >= 10) != (onP1.count >= 10) && min(onP0.count, onP1.count) == 0,
                "echo requests on p0: \(onP0.count), on p1: \(onP1.count)")

        // A broadcast the peer bridge floods to both members reaches the VM once (no DUP! replies).
        let bcast = world.exec(peer, "ping -b -c 4 -i 0.2 -W 1 10.61.0.255 2>&1")
        #expect(BondTests.received(bcast.stdout) >= 3, "broadcast ping: \(bcast.stdout)")
        #expect(!bcast.stdout.contains("DUP!"), "the VM got a flood twice: \(bcast.stdout)")

        // Cut each member in turn while a ping runs every 20 ms: at most a second of it is lost.
        for (member, peerEnd) in [("m0", "p0"), ("m1", "p1")] {
            let cursor = try d.eventCursor()
            let pingOut = "\(world.tempDirectory)/ping-\(member).txt"
            _ = world.spawn(vm, "ping -c 200 -i 0.02 -W 1 10.61.0.9 > \(pingOut) 2>&1")
            usleep(1_000_000)
            #expect(world.exec(peer, "ip link set \(peerEnd) down").ok)
            let down = try d.waitEvent("bond-member-down", port: "bond0", since: cursor)
            #expect(down?.detail.contains(member) ?? false, "no bond-member-down event for \(member)")
            var text = ""
            let deadline = Date().addingTimeInterval(15)
            repeat {
                usleep(200_000)
                text = (try? String(contentsOfFile: pingOut, encoding: .utf8)) ?? ""
            } while !text.contains("received") && Date() < deadline
            let received = BondTests.received(text)
            #expect(received >= 150, "cutting \(member): only \(received) of 200 replies (>1 s lost)\n\(text.suffix(400))")
            let after = try d.json(BondShowResult.self, "bond-show", "bond0")
            #expect(after.members.first { $0.name == member }?.enabled == false, "\(member) still enabled: \(after.members)")
            #expect(after.members.first { $0.name != member }?.active == true)
            // Learning is on the bond: the server's MAC stays on bond0 (no member, no flapping).
            let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
            let serverPorts = Set(fdb.entries.filter { $0.port != "vm1" }.map(\.port))
            #expect(serverPorts == ["bond0"], "\(fdb.entries)")
            #expect(fdb.moved == 0, "a MAC moved between ports (a flood came back through the bond?): \(fdb.entries)")
            #expect(world.exec(peer, "ip link set \(peerEnd) up").ok)
            let up = try d.waitEvent("bond-member-up", port: "bond0", since: cursor, timeout: 5)
            #expect(up?.detail.contains(member) ?? false, "\(member) did not come back")
        }

        // A restart restores the bond from config.json.
        d.kill9()
        try d.start()
        let again = try d.json(BondShowResult.self, "bond-show", "bond0")
        #expect(again.config.mode.rawValue == mode && again.members.count == 2)
        #expect(world.ping(from: vm, "10.61.0.9"), "no traffic through the bond after a restart")
        let graph = d.cli("graph")
        #expect(graph.ok && graph.stdout.contains("bond0") && graph.stdout.contains("m1"), "\(graph)")
    }

    /// Bad arguments are refused with a clear error and change nothing.
    @Test func badBondArgumentsAreRefusedAndChangeNothing() throws {
        let world = NetnsWorld("bondbad")
        defer { world.close() }
        let host = world.namespace("host")
        let peer = world.namespace("peer")
        world.veth("m0", in: host, "p0", in: peer)
        world.veth("m1", in: host, "p1", in: peer)
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        #expect(d.cli("add-port", "br0", "m1", "--type", "system").ok)
        let before = try d.configView()
        let cases: [([String], String)] = [
            (["add-bond", "br0", "bond0", "m0"], "at least two members"),
            (["add-bond", "br0", "bond0", "m0", "m0"], "listed twice"),
            (["add-bond", "br0", "bond0", "m0", "nosuch0"], "member nosuch0"),
            (["add-bond", "br0", "bond0", "m0", "m1"], "m1"),
            (["add-bond", "br0", "bond0", "m0", "p0", "--mode", "balance-tcp"], "needs LACP"),
            (["add-bond", "br0", "bond0", "m0", "p0", "--mode", "round-robin"], "mode"),
            (["add-bond", "br0", "bond0", "m0", "p0", "--updelay", "-5"], "updelay"),
            (["add-bond", "nobr", "bond0", "m0", "p0"], "no such bridge"),
            (["set-bond", "br0", "m1", "--mode", "balance-slb"], "not a bond"),
            (["del-bond", "br0", "m1"], "not a bond"),
            (["bond-show", "m1"], "not a bond"),
        ]
        for (args, words) in cases {
            let out = d.cli(args)
            #expect(out.status != 0 && out.stderr.contains(words), "`\(args.joined(separator: " "))`: \(out)")
        }
        #expect(try d.configView() == before)
        #expect(world.exec(host, "ip link show m0").ok, "a refused bond touched its member")
        #expect(d.isAlive)
    }

    /// The replies `ping` counted ("N received").
    static func received(_ text: String) -> Int {
        guard let r = text.range(of: #"(\d+) received"#, options: .regularExpression) else { return 0 }
        return Int(text[r].split(separator: " ")[0]) ?? 0
    }
}

extension BondTests {
    /// A member whose netdev is deleted and made again (a new ifindex under the same name) is attached
    /// again by itself, as system ports are: the bond's sockets are reopened, and traffic goes through
    /// the new netdev when the other member is cut.
    @Test func aMemberMadeAgainIsReattached() throws {
        let world = NetnsWorld("bondre")
        defer { world.close() }
        let host = world.namespace("host")
        let peer = world.namespace("peer")
        world.veth("m0", in: host, "p0", in: peer)
        world.veth("m1", in: host, "p1", in: peer)
        // The peer bridge's MAC is fixed: a Linux bridge otherwise takes its ports' smallest MAC, so a new p1
        // could change it under the VM's ARP entry.
        let setup = world.exec(peer, "ip link add pbr address 02:00:00:00:62:09 type bridge && ip link set p0 master pbr && ip link set p1 master pbr "
                               + "&& ip link set pbr up && ip addr add 10.62.0.9/24 dev pbr")
        #expect(setup.ok, "\(setup)")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let add = d.cli("add-bond", "br0", "bond0", "m0", "m1", "--mode", "active-backup")
        #expect(add.ok, "\(add)")
        let vm = try world.tapVM(d, "br0", "vm1", address: "10.62.0.1/24")
        #expect(world.ping(from: vm, "10.62.0.9"), "no traffic through the bond")

        // m1 goes away with its veth and comes back as a new netdev.
        let cursor = try d.eventCursor()
        let oldIndex = world.exec(host, "cat /sys/class/net/m1/ifindex").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(world.exec(host, "ip link del m1").ok)
        usleep(300_000)
        let gone = try d.json(BondShowResult.self, "bond-show", "bond0")
        #expect(gone.members.first { $0.name == "m1" }.map { !$0.enabled && !$0.carrier } ?? false, "\(gone.members)")
        world.veth("m1", in: host, "p1", in: peer)
        #expect(world.exec(peer, "ip link set p1 master pbr").ok)
        let newIndex = world.exec(host, "cat /sys/class/net/m1/ifindex").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newIndex != oldIndex, "the veth got its old ifindex back: the test proves nothing")
        let back = try d.waitEvent("port-reattached", port: "bond0", since: cursor, timeout: 5)
        #expect(back?.detail.contains("m1 ifindex \(newIndex)") ?? false, "no re-attach of bond0: \(String(describing: back))\n\(d.log.suffix(1500))")
        var shown = try d.json(BondShowResult.self, "bond-show", "bond0")
        let deadline = Date().addingTimeInterval(5)
        while !shown.members.allSatisfy({ $0.enabled }) && Date() < deadline {
            usleep(100_000)
            shown = try d.json(BondShowResult.self, "bond-show", "bond0")
        }
        let allUp = shown.members.allSatisfy { $0.enabled && $0.carrier }
        #expect(allUp, "\(shown.members)")

        // The new m1 carries the traffic once m0 is cut.
        let cutCursor = try d.eventCursor()
        #expect(world.exec(peer, "ip link set p0 down").ok)
        let moved = try d.waitEvent("bond-member-down", port: "bond0", since: cutCursor, timeout: 5)
        #expect(moved?.detail.contains("m0") ?? false)
        var answered = false
        var took = 0.0
        let onP1 = world.capture(peer, "p1", filter: "icmp and icmp[icmptype] == icmp-echo") {
            let from = Date(), until = from.addingTimeInterval(5)
            while !answered && Date() < until { answered = world.exec(vm, "ping -c 1 -W 0.5 10.62.0.9").ok }
            took = Date().timeIntervalSince(from)
        }
        print("bond member made again: first answer through it \(String(format: "%.2f", took)) s after cutting the other")
        let why = "\(d.cli("bond-show", "bond0").stdout)\(d.cli("stats", "br0", "bond0").stdout)"
        #expect(answered && took < 1.5, "no traffic through the re-attached member (\(took) s)\n\(why)")
        #expect(!onP1.isEmpty, "the echo requests did not leave by the new m1")
        #expect(d.isAlive)
    }
}
