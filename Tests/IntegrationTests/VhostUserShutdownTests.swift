import ControlProtocol
import Foundation
import TestSupport
import Testing

/// tapestryd stopped (SIGTERM) or left by its guest while frames circle through two vhost-user ports
/// (one dpdk-testpmd, io forwarding between its two virtio-user ports, as the vhost benchmark runs it):
/// it must exit 0 with a clean log. The datapath thread polls its vhost-user ports while they are
/// busy; the control path replaces its list of them between batches (a guest's queues stopped,
/// shutdown), and a polling round that went on with its old index ran past the end of the new list
/// (tapestryd died with SIGILL, "Index out of range", in about one stop in three under traffic).
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"),
       .enabled(if: TestPMD.isAvailable, "needs dpdk-testpmd (package dpdk-dev; Tools/install-deps installs it)"))
struct VhostUserShutdownTests {
    /// How each round ends the loop.
    enum Ending: String, CaseIterable {
        /// testpmd killed while frames circle (both ports disconnect under traffic), then SIGTERM.
        case guestKilled
        /// SIGTERM while frames circle.
        case termUnderTraffic
        /// testpmd told to quit (GET_VRING_BASE, then the sockets close) and SIGTERM at the same moment.
        case quitAndTerm
    }

    @Test func stopsCleanlyWhileFramesCircleAndTheGuestLeaves() throws {
        let world = NetnsWorld("vhstop")
        defer { world.close() }
        let host = world.namespace("host")
        var round = 0
        // io: frames circle between the two ports (the benchmark's load); txonly: both virtio-user
        // ports send as fast as they can, so the datapath thread keeps polling (the transmit queues
        // never run dry) and every stop finds it in the middle of a polling round.
        for mode in ["io", "txonly", "txonly"] {
            for ending in Ending.allCases {
                round += 1
                try runRound(world, host, round: round, mode: mode, ending: ending)
            }
        }
    }

    private func runRound(_ world: NetnsWorld, _ host: String, round: Int, mode: String, ending: Ending) throws {
        // One datapath thread, kick-driven (the default --spin-us 0), every thread of tapestryd on CPU 1
        // and testpmd on CPU 0: the benchmark's tapestry_kick (the control path and the datapath
        // thread then share one CPU, and a stop mostly finds the datapath thread inside a batch).
        let d = try world.startDaemon(in: host, name: "d\(round)", arguments: ["--datapath-threads", "1"], recordsExit: true)
        try #require(Shell.run("taskset -a -p -c 1 \(d.pid)").ok, "could not pin tapestryd to CPU 1")
        try #require(d.cli("add-br", "br0", "--mode", "hub").ok)
        try #require(d.cli("add-port", "br0", "vh0", "--type", "vhost-user").ok)
        try #require(d.cli("add-port", "br0", "vh1", "--type", "vhost-user").ok)
        let sockets = try ["vh0", "vh1"].map { try #require(try d.vhostStatus($0)).socketPath }
        let pmd = TestPMD.startPair(world, sockets: sockets, mode: mode, lcores: "0@0,1@0", tag: "pair\(round)")
        defer { pmd.kill9() }
        for port in ["vh0", "vh1"] {
            let s = try d.waitVhostConnected(port, seconds: 30)
            try #require(s?.connected == true, "round \(round): \(port) \(String(describing: s)); testpmd:\n\(pmd.logText.suffix(2000))")
        }
        let started = mode == "io" ? pmd.send("set fwd io retry") && pmd.send("start tx_first 8") : pmd.send("start")
        try #require(started, "round \(round): testpmd took no commands")
        // Frames flow: vh0 keeps receiving (a loop may lose frames to full rings and slow down, so
        // only "still moving" is required of it).
        sleep(1)
        let first = try d.counters("br0", "vh0").rxPackets
        usleep(500_000)
        let flowing = try d.counters("br0", "vh0").rxPackets
        try #require(flowing > first, "round \(round) (\(mode)): no frames flow (vh0 rx \(first) → \(flowing)); testpmd:\n\(pmd.logText.suffix(2000))")

        let status: Int32?
        switch ending {
        case .guestKilled:
            pmd.kill9()
            let gone = try ["vh0", "vh1"].map { try d.waitVhostDisconnected($0) }
            #expect(gone.allSatisfy { $0?.connected == false }, "round \(round): \(gone)")
            #expect(d.isAlive, "round \(round): tapestryd died when its guest left under traffic:\n\(d.log.suffix(4000))")
            status = d.stopAndWaitForExit()
        case .termUnderTraffic:
            status = d.stopAndWaitForExit()
        case .quitAndTerm:
            let quit = Thread { pmd.send("quit") }
            quit.start()
            status = d.stopAndWaitForExit()
        }
        let log = d.log
        #expect(status == 0, "round \(round) (\(mode), \(ending)): tapestryd ended with \(status.map(String.init) ?? "no status"):\n\(log.suffix(6000))")
        #expect(log.contains("shutting down"), "round \(round) (\(mode), \(ending)): no shutdown in the log:\n\(log.suffix(3000))")
        for bad in ["Fatal error", "Program crashed", "critical"] {
            #expect(!log.contains(bad), "round \(round) (\(mode), \(ending)): '\(bad)' in the log:\n\(log.suffix(6000))")
        }
    }
}
