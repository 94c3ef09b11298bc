import ControlProtocol
import Foundation
import TestSupport

/// dpdk-testpmd (Debian's dpdk-dev) as the guest side of a vhost-user port: a virtio-user device
/// on the port's socket (`server=1` for client ports), no hugepages, bounded in time.
struct TestPMD {
    static var isAvailable: Bool { Shell.run("command -v dpdk-testpmd").ok }

    let log: String
    let pid: Int32
    /// testpmd reads its commands from this fifo; `holder` keeps it open for writing.
    let fifo: String
    let holder: Int32

    /// Starts testpmd in `mode` (txonly, rxonly, macswap, io) with forwarding on; it runs until `finish`
    /// (or `limit` seconds). Commands go to its command line through a fifo: no signals, and the pid is
    /// testpmd's own. The socket is a file, so testpmd runs in the caller's namespace; it sends nowhere
    /// but the socket.
    static func start(_ world: NetnsWorld, socket: String, mode: String, server: Bool = false, queues: Int = 1, limit: Int = 120,
                      tag: String) -> TestPMD {
        let vdev = "net_virtio_user0,path=\(socket)\(server ? ",server=1" : "")\(queues > 1 ? ",queues=\(queues)" : "")"
        let queueArgs = queues > 1 ? "--rxq=\(queues) --txq=\(queues) " : ""
        return launch(world, vdevs: [vdev], arguments: "--forward-mode=\(mode) --auto-start --total-num-mbufs=16384 \(queueArgs)",
                      lcores: "0@0,1@1", limit: limit, tag: tag)
    }

    /// One testpmd with a virtio-user port on each of `sockets`, forwarding in `mode` once told to
    /// `start`: io forwards port 0 ↔ port 1 (`start tx_first 8` puts bursts in that then circle
    /// through the switch, as the shared vhost-user loop benchmark does), txonly sends on both.
    /// `lcores` as testpmd takes them (the benchmark runs it on CPU 0 only: "0@0,1@0").
    static func startPair(_ world: NetnsWorld, sockets: [String], mode: String = "io", lcores: String = "0@0,1@1", limit: Int = 120,
                          tag: String) -> TestPMD {
        let vdevs = sockets.enumerated().map { "net_virtio_user\($0.offset),path=\($0.element)" }
        return launch(world, vdevs: vdevs, arguments: "--forward-mode=\(mode) --total-num-mbufs=32768 ", lcores: lcores, limit: limit,
                      tag: tag)
    }

    private static func launch(_ world: NetnsWorld, vdevs: [String], arguments: String, lcores: String, limit: Int, tag: String) -> TestPMD {
        let log = world.tempDirectory + "/testpmd-\(tag).log"
        let fifo = world.tempDirectory + "/testpmd-\(tag).cmd"
        let cmd = "mkfifo \(fifo) && { (exec sleep \(limit) >\(fifo)) & echo $!; "
            + "stdbuf -oL dpdk-testpmd --lcores '\(lcores)' --no-pci --no-huge -m 256 --file-prefix \(world.prefix)-\(tag) "
            + vdevs.map { "--vdev '\($0)' " }.joined() + "-- -i --nb-cores=1 \(arguments)"
            + "<\(fifo) >\(log) 2>&1 & echo $!; }"
        let pids = Shell.run(cmd).stdout.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        return TestPMD(log: log, pid: pids.count == 2 ? pids[1] : -1, fifo: fifo, holder: pids.first ?? -1)
    }

    /// Types one command into testpmd's command line; false when testpmd does not read it within 10 s.
    @discardableResult
    func send(_ command: String) -> Bool { Shell.run("echo \(Shell.quote(command)) >\(fifo)", timeout: 10).ok }

    /// Waits until testpmd forwards (it drops what arrived before: flush_fwd_rx_queues), then a second more.
    func waitForwarding(upTo seconds: Double = 30) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if logText.contains("Start automatic packet forwarding") || logText.contains("Start automatic") {
                sleep(1)
                return true
            }
            usleep(100_000)
        }
        return false
    }

    /// Stops forwarding: testpmd prints its totals (frames already in a ring stay there for the switch).
    func stopForwarding() { Shell.run("echo stop >\(fifo)", timeout: 10) }

    /// Stops forwarding (if not yet), quits, and returns the log.
    func finish() -> String {
        Shell.run("echo stop >\(fifo); sleep 1; echo quit >\(fifo)", timeout: 10)
        let end = Date().addingTimeInterval(20)
        while isRunning && Date() < end { usleep(100_000) }
        kill9()
        return logText
    }

    /// The log so far (bytes that are not UTF-8 replaced).
    var logText: String {
        FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Ends testpmd and the fifo holder at once (by pid).
    func kill9() {
        if isRunning { kill(pid, SIGKILL) }
        if holder > 0 { kill(holder, SIGKILL) }
    }

    var isRunning: Bool {
        guard pid > 0, kill(pid, 0) == 0,
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }


    /// The totals testpmd prints when it stops ("Accumulated forward statistics"): RX and TX packets.
    static func totals(_ log: String) -> (rx: UInt64, tx: UInt64)? {
        guard let r = log.range(of: "Accumulated forward statistics") else { return nil }
        let tail = log[r.upperBound...]
        func value(_ key: String) -> UInt64? {
            guard let k = tail.range(of: key) else { return nil }
            return UInt64(tail[k.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
        }
        guard let rx = value("RX-packets:"), let tx = value("TX-packets:") else { return nil }
        return (rx, tx)
    }
}

extension NetnsWorld.Daemon {
    /// A vhost-user port's status as `show` reports it.
    func vhostStatus(_ port: String) throws -> VhostUserPortStatus? {
        try json(ShowResult.self, "show").bridges.flatMap(\.ports).first { $0.config.name == port }?.vhostUser
    }

    /// Waits until the port's peer is connected with at least `queues` receive and transmit queues served.
    func waitVhostConnected(_ port: String, queues: Int = 1, seconds: Double = 10) throws -> VhostUserPortStatus? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let s = try vhostStatus(port), s.connected, s.transmitQueues >= queues, s.receiveQueues >= queues { return s }
            usleep(100_000)
        }
        return try vhostStatus(port)
    }

    /// A vhost-user port's counters per queue pair, as `stats` reports them (pair q at index q).
    func vhostQueues(_ bridge: String, _ port: String) throws -> [VhostUserQueueStats] {
        try json(StatsResult.self, "stats", bridge, port).ports.first?.vhostQueues ?? []
    }

    /// Waits until the port reports no connection.
    func waitVhostDisconnected(_ port: String, seconds: Double = 10) throws -> VhostUserPortStatus? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let s = try vhostStatus(port), !s.connected { return s }
            usleep(100_000)
        }
        return try vhostStatus(port)
    }

    /// Waits until a port's rx and tx counters have not moved for `quiet` seconds (at most `limit`).
    func waitCountersSettle(_ bridge: String, _ port: String, quiet: Double = 1, limit: Double = 15) {
        var last: (UInt64, UInt64) = (.max, .max)
        var since = Date()
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            guard let c = try? json(StatsResult.self, "stats", bridge, port).ports.first else { break }
            if (c.rxPackets, c.txPackets) != last { last = (c.rxPackets, c.txPackets); since = Date() }
            if Date().timeIntervalSince(since) >= quiet { return }
            usleep(200_000)
        }
    }
}

/// CPU time (clock ticks, user + system) of each thread of a process, by thread name.
func threadTicks(_ pid: Int32) -> [String: Int] {
    var out: [String: Int] = [:]
    for tid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
        let name = String(stat[stat.index(after: open)..<close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { continue }
        out[name, default: 0] += user + system
    }
    return out
}

extension NetnsWorld {
    /// A netdev counter (`rx_packets`, `tx_packets`) of `dev` in namespace `ns`.
    func netdevCounter(_ ns: String, _ dev: String, _ name: String) -> UInt64 {
        UInt64(exec(ns, "cat /sys/class/net/\(dev)/statistics/\(name)").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
