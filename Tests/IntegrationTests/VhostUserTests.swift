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
    func world(_ tag: String, vhost: [String], daemon: [String] = []) throws -> (NetnsWorld, NetnsWorld.Daemon, String) {
        let world = NetnsWorld(tag)
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host, arguments: ["--metrics", "127.0.0.1:9420"] + daemon)
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

    /// The daemon's namespace of a world made by `world(_:vhost:)`.
    func host(_ world: NetnsWorld) -> String { "\(world.prefix)-host" }

    func vhostStatus(_ d: NetnsWorld.Daemon, _ port: String) throws -> VhostUserPortStatus? { try d.vhostStatus(port) }

    func waitConnected(_ d: NetnsWorld.Daemon, _ port: String, seconds: Double = 10) throws -> VhostUserPortStatus? {
        try d.waitVhostConnected(port, seconds: seconds)
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
        // DPDK's virtio takes IN_ORDER: the exact counts below go through its in-order paths.
        #expect(connected?.features.contains("in-order") == true, "\(String(describing: connected))")
        let live = MetricsDaemon.samples(world.httpGet(host(world), "http://127.0.0.1:9420/metrics").body)
        let labels = "{bridge=\"br0\",port=\"vh0\"}"
        #expect(live["tapestry_vhost_user_connected" + labels] == 1, "\(live.filter { $0.key.contains("vhost") })")
        #expect(live["tapestry_vhost_user_queues{bridge=\"br0\",direction=\"transmit\",port=\"vh0\"}"] == 1
                    || live["tapestry_vhost_user_queues{bridge=\"br0\",port=\"vh0\",direction=\"transmit\"}"] == 1,
                "\(live.filter { $0.key.contains("vhost") })")
        #expect(live["tapestry_port_up" + labels] == 1)
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
        let after = try #require(try d.waitVhostDisconnected("vh0"))
        #expect(!after.connected && after.transmitQueues == 0, "still connected after testpmd quit: \(after)")
        let gone = MetricsDaemon.samples(world.httpGet(host(world), "http://127.0.0.1:9420/metrics").body)
        #expect(gone["tapestry_vhost_user_connected" + labels] == 0 && gone["tapestry_port_up" + labels] == 0
                    && gone["tapestry_vhost_user_connections_total" + labels] == 1, "\(gone.filter { $0.key.contains("vh0") })")
        // The connection's life in the event log, in order.
        let kinds = d.cli("--format", "json", "events").stdout.split(separator: "\n").filter { $0.contains("\"port\":\"vh0\"") }
            .compactMap { line in ["vhost-user-connected", "vhost-user-queues", "vhost-user-disconnected"].first { line.contains("\"kind\":\"\($0)\"") } }
        #expect(kinds.first == "vhost-user-connected" && kinds.contains("vhost-user-queues") && kinds.last == "vhost-user-disconnected",
                "\(kinds)")
    }

    /// A spinning daemon (`--spin-us`) leaves a transmit queue's kicks off while it keeps polling, also
    /// when the queue runs empty, and switches them back on before it sleeps: two bursts with an idle
    /// gap longer than the spin between them arrive exactly, and in the gap the thread sleeps.
    @Test func spinningDaemonTakesBurstsAcrossAnIdleGapExactly() throws {
        let (world, d, vm) = try world("vhspin", vhost: ["--type", "vhost-user"], daemon: ["--datapath-threads", "1", "--spin-us", "200000"])
        defer { world.close() }
        let socket = try #require(try vhostStatus(d, "vh0")).socketPath
        let before = world.netdevCounter(vm, "t0", "rx_packets")
        let pmd = TestPMD.start(world, socket: socket, mode: "txonly", tag: "spin")
        defer { pmd.kill9() }
        #expect(try waitConnected(d, "vh0")?.connected == true)
        #expect(pmd.waitForwarding(), "testpmd did not start forwarding")
        sleep(1)
        pmd.stopForwarding()
        d.waitCountersSettle("br0", "vh0")
        let first = try d.counters("br0", "vh0").rxPackets
        #expect(first > 1000, "the first burst brought only \(first) frames")
        // Idle for longer than the spin: the datapath thread sleeps (at most a few ticks of 100 a second).
        let idle0 = threadTicks(d.pid)["tapestry-dp0"] ?? 0
        sleep(2)
        let idle = (threadTicks(d.pid)["tapestry-dp0"] ?? 0) - idle0
        #expect(idle < 40, "the datapath thread kept spinning while idle: \(idle) ticks in 2 s")
        #expect(pmd.send("start"), "testpmd took no command")
        sleep(1)
        let log = pmd.finish()
        // testpmd prints the totals of each forwarding run when it stops: the two bursts.
        var sent: UInt64 = 0, runs = 0
        var rest = Substring(log)
        while let r = rest.range(of: "Accumulated forward statistics") {
            let section = String(rest[r.lowerBound...])
            if let t = TestPMD.totals(section) { sent += t.tx; runs += 1 }
            rest = rest[r.upperBound...]
        }
        #expect(runs == 2, "testpmd's log has \(runs) forwarding runs:\n\(log.suffix(3000))")
        d.waitCountersSettle("br0", "vh0")
        let vh = try d.counters("br0", "vh0")
        #expect(vh.rxPackets > first, "nothing arrived after the idle gap (vh0 rx \(first) → \(vh.rxPackets))")
        #expect(vh.rxPackets == sent, "testpmd sent \(sent), vh0 received \(vh.rxPackets); drops \(vh.drops)")
        #expect(world.netdevCounter(vm, "t0", "rx_packets") - before == sent)
    }

    @Test func tapFramesReachTestpmdRxonlyExactly() throws {
        let (world, d, vm) = try world("vhrx", vhost: ["--type", "vhost-user"])
        defer { world.close() }
        let socket = try #require(try vhostStatus(d, "vh0")).socketPath
        let pmd = TestPMD.start(world, socket: socket, mode: "rxonly", tag: "rx")
        defer { pmd.kill9() }
        let connected = try waitConnected(d, "vh0")
        #expect(connected?.connected == true)
        #expect(connected?.features.contains("in-order") == true, "\(String(describing: connected))")
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
        // testpmd starts sending once it has set up (slow on a loaded machine): wait for traffic.
        for _ in 0..<100 where world.netdevCounter(vm, "t0", "rx_packets") <= 100 { usleep(100_000) }
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

/// Multi-queue: a guest's queue pairs are spread over the datapath threads.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"),
       .enabled(if: TestPMD.isAvailable, "needs dpdk-testpmd (package dpdk-dev; Tools/install-deps installs it)"))
struct VhostUserMultiQueueTests {
    /// testpmd sends on two transmit queues into a daemon with two datapath threads: each thread
    /// serves one (both spend CPU on it), and every frame reaches the tap exactly once.
    @Test func twoQueuePairsAreServedByTwoThreads() throws {
        let world = NetnsWorld("vhmq")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host, arguments: ["--datapath-threads", "2"])
        try #require(d.cli("add-br", "br0").ok)
        try #require(d.cli("add-port", "br0", "vh0", "--type", "vhost-user").ok)
        let vm = world.namespace("vm")
        try #require(world.exec(vm, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1").ok)
        try #require(d.cli("add-port", "br0", "t0", "--type", "tap", "--netns", vm).ok)
        try #require(world.exec(vm, "ip link set t0 up").ok)
        let socket = try #require(try d.vhostStatus("vh0")).socketPath
        let before = world.netdevCounter(vm, "t0", "rx_packets")
        let ticks0 = threadTicks(d.pid)
        let pmd = TestPMD.start(world, socket: socket, mode: "txonly", queues: 2, tag: "mq")
        defer { pmd.kill9() }
        let status = try d.waitVhostConnected("vh0", queues: 2)
        try #require(status?.transmitQueues == 2 && status?.receiveQueues == 2, "\(String(describing: status)); \(pmd.logText.suffix(2000))")
        #expect(status?.features.contains("mq") == true && status?.protocolFeatures.contains("mq") == true, "\(String(describing: status))")
        sleep(3)
        pmd.stopForwarding()
        d.waitCountersSettle("br0", "vh0")
        let ticks1 = threadTicks(d.pid)
        let log = pmd.finish()
        let totals = try #require(TestPMD.totals(log), "no totals in testpmd's log:\n\(log.suffix(3000))")
        #expect(totals.tx > 1000, "testpmd sent only \(totals.tx) frames")
        usleep(300_000)
        let vh = try d.counters("br0", "vh0")
        #expect(vh.rxPackets == totals.tx, "testpmd sent \(totals.tx), vh0 received \(vh.rxPackets); drops \(vh.drops)")
        #expect(world.netdevCounter(vm, "t0", "rx_packets") - before == totals.tx)
        // Per queue pair: both transmit queues carried frames, and together exactly what the port received.
        let queues = try d.vhostQueues("br0", "vh0")
        #expect(queues.count == 2 && queues.allSatisfy { $0.rxPackets > 0 }, "\(queues)")
        #expect(queues.reduce(0) { $0 + $1.rxPackets } == vh.rxPackets && queues.reduce(0) { $0 + $1.rxBytes } == vh.rxBytes,
                "per-queue \(queues), port rx \(vh.rxPackets) packets \(vh.rxBytes) bytes")
        let dp0 = (ticks1["tapestry-dp0"] ?? 0) - (ticks0["tapestry-dp0"] ?? 0)
        let dp1 = (ticks1["tapestry-dp1"] ?? 0) - (ticks0["tapestry-dp1"] ?? 0)
        print("two queue pairs: tapestry-dp0 \(dp0) ticks, tapestry-dp1 \(dp1) ticks, \(totals.tx) frames")
        // Both threads worked, about evenly (with one thread serving both queues dp1 stays near 0).
        #expect(max(dp0, dp1) >= 5 && min(dp0, dp1) * 4 >= max(dp0, dp1),
                "thread CPU: dp0 \(dp0), dp1 \(dp1) ticks (one thread served both queues?)")
    }
}
