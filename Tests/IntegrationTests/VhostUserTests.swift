import ControlProtocol
import Foundation
import TestSupport
import Testing

/// vhost-user ports against Debian's dpdk-testpmd as the guest side: every frame one side sends
/// arrives on the other, counted on both; a client port survives `kill -9` of tapestryd.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"),
       .enabled(if: TestPMD.isAvailable, "needs dpdk-testpmd (package dpdk-dev; Tools/install-deps installs it)"))
struct VhostUserTests {
    /// A daemon with bridge br0, a vhost-user port and a tap port in a VM namespace (IPv6 off, so
    /// the tap sends nothing by itself).
    func world(_ tag: String, vhost: [String]) throws -> (NetnsWorld, NetnsWorld.Daemon, String) {
        let world = NetnsWorld(tag)
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        guard d.cli("add-br", "br0").ok else { throw TestWorldError("add-br failed") }
        let add = d.cli(["add-port", "br0", "vh0"] + vhost)
        guard add.ok else { throw TestWorldError("add-port vh0 failed: \(add)") }
        let vm = world.namespace("vm")
        let sysctl = world.exec(vm, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
        guard sysctl.ok else { throw TestWorldError("sysctl in \(vm) failed: \(sysctl)") }
        guard d.cli("add-port", "br0", "t0", "--type", "tap", "--netns", vm).ok,
              world.exec(vm, "ip link set t0 up && ip addr add 10.77.0.1/24 dev t0").ok else {
            throw TestWorldError("tap port failed: \(d.log.suffix(2000))")
        }
        return (world, d, vm)
    }

    func vhostStatus(_ d: NetnsWorld.Daemon, _ port: String) throws -> VhostUserPortStatus? {
        try d.json(ShowResult.self, "show").bridges.flatMap(\.ports).first { $0.config.name == port }?.vhostUser
    }

    func waitConnected(_ d: NetnsWorld.Daemon, _ port: String, seconds: Double = 10) throws -> VhostUserPortStatus? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let s = try vhostStatus(d, port), s.connected, s.transmitQueues > 0, s.receiveQueues > 0 { return s }
            usleep(100_000)
        }
        return try vhostStatus(d, port)
    }

    @Test func testpmdTxonlyReachesTheTapExactly() throws {
        let (world, d, vm) = try world("vhtx", vhost: ["--type", "vhost-user"])
        defer { world.close() }
        let status = try #require(try vhostStatus(d, "vh0"))
        let socket = status.socketPath
        #expect(socket == d.directory + "/run/vhost-user/vh0.sock")
        // The socket is no wider than 0660.
        let mode = world.exec(world.namespace("x"), "stat -c %a \(socket)").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mode == "660", "socket mode \(mode)")
        let before = world.netdevCounter(vm, "t0", "rx_packets")
        let pmd = TestPMD.start(world, socket: socket, mode: "txonly", tag: "tx")
        defer { pmd.kill9() }
        let connected = try waitConnected(d, "vh0")
        #expect(connected?.connected == true, "testpmd did not connect: \(String(describing: connected))")
        #expect(connected?.features.contains("version-1") == true)
        sleep(3)
        pmd.stopForwarding()
        d.waitCountersSettle("br0", "vh0")
        let log = pmd.finish()
        let totals = try #require(TestPMD.totals(log), "no totals in testpmd's log:\n\(log.suffix(3000))")
        #expect(totals.tx > 1000, "testpmd sent only \(totals.tx) frames")
        usleep(300_000)
        let vh = try d.counters("br0", "vh0"), tap = try d.counters("br0", "t0")
        let arrived = world.netdevCounter(vm, "t0", "rx_packets") - before
        #expect(vh.rxPackets == totals.tx, "testpmd sent \(totals.tx), vh0 received \(vh.rxPackets); drops \(vh.drops)")
        #expect(tap.txPackets == totals.tx, "t0 sent \(tap.txPackets) of \(totals.tx)")
        #expect(arrived == totals.tx, "the tap's netdev received \(arrived) of \(totals.tx)")
        let after = try #require(try vhostStatus(d, "vh0"))
        #expect(!after.connected && after.transmitQueues == 0, "still connected after testpmd quit: \(after)")
    }

    @Test func tapFramesReachTestpmdRxonlyExactly() throws {
        let (world, d, vm) = try world("vhrx", vhost: ["--type", "vhost-user"])
        defer { world.close() }
        let socket = try #require(try vhostStatus(d, "vh0")).socketPath
        let pmd = TestPMD.start(world, socket: socket, mode: "rxonly", tag: "rx")
        defer { pmd.kill9() }
        #expect(try waitConnected(d, "vh0")?.connected == true)
        #expect(pmd.waitForwarding(), "testpmd did not start forwarding")
        // 300 echo requests to a neighbour that exists only as a static entry: the bridge floods them to
        // vh0. (Paced so that testpmd's 256 receive buffers outlast its scheduling gaps on a busy machine.)
        let txBefore = world.netdevCounter(vm, "t0", "tx_packets")
        let ping = world.exec(vm, "ip neigh replace 10.77.0.2 lladdr 02:00:00:00:77:02 dev t0 && ping -q -c 300 -i 0.01 -W 1 10.77.0.2",
                              timeout: 60)
        #expect(ping.stdout.contains("300 packets transmitted"), "\(ping)")
        let sent = world.netdevCounter(vm, "t0", "tx_packets") - txBefore
        #expect(sent == 300, "the tap sent \(sent) frames")
        d.waitCountersSettle("br0", "vh0")
        sleep(2)  // testpmd polls what was published last
        let log = pmd.finish()
        let totals = try #require(TestPMD.totals(log), "no totals in testpmd's log:\n\(log.suffix(3000))")
        let vh = try d.counters("br0", "vh0")
        let tapCounters = try d.counters("br0", "t0")
        #expect(vh.txPackets == sent, "vh0 sent \(vh.txPackets) of \(sent); drops \(vh.drops); t0 \(tapCounters)")
        #expect(totals.rx == sent, "testpmd received \(totals.rx) of \(sent)")
    }

    @Test func clientPortSurvivesKill9OfTheDaemon() throws {
        let (world, d, vm) = try world("vhcl", vhost: [])  // the port is added once testpmd listens
        defer { world.close() }
        let socket = world.tempDirectory + "/vm0.sock"
        let pmd = TestPMD.start(world, socket: socket, mode: "txonly", server: true, tag: "cl")
        defer { pmd.kill9() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(100_000) }
        #expect(d.cli("add-port", "br0", "vc0", "--type", "vhost-user-client", "--socket-path", socket).ok)
        let first = try waitConnected(d, "vc0")
        #expect(first?.connected == true, "tapestryd did not connect to testpmd: \(String(describing: first)); \(d.log.suffix(1500))")
        usleep(1_000_000)
        #expect(world.netdevCounter(vm, "t0", "rx_packets") > 100, "no traffic before the kill")

        d.kill9()
        usleep(500_000)
        let stalled = world.netdevCounter(vm, "t0", "rx_packets")
        usleep(500_000)
        #expect(world.netdevCounter(vm, "t0", "rx_packets") == stalled, "frames arrived with the daemon dead")

        try d.start()
        let restart = Date()  // the daemon answers its socket (its own start-up on a loaded machine is not counted)
        var resumedAfter: Double?
        while Date().timeIntervalSince(restart) < 10 {
            if world.netdevCounter(vm, "t0", "rx_packets") > stalled + 100 { resumedAfter = Date().timeIntervalSince(restart); break }
            usleep(50_000)
        }
        let after = try #require(resumedAfter, "traffic did not resume within 10 s; log:\n\(d.log.suffix(3000))")
        #expect(after < 2.0, "traffic resumed only after \(after) s")
        #expect(pmd.isRunning, "testpmd had to be restarted")
    }
}
