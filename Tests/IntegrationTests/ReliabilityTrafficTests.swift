import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Traffic survives a crash: `kill -9` of tapestryd in the middle of a bounded iperf3 between two VMs;
/// the VMs keep their netdevs and addresses, traffic flows again within 2 s of the restart, iperf3 finishes.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ReliabilityTrafficTests {
    @Test(.timeLimit(.minutes(2)))
    func kill9DuringIperfThenTrafficResumesWithinTwoSeconds() throws {
        let world = NetnsWorld("rtraf")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.61.0.2/24")
        #expect(world.ping(from: vm1, "10.61.0.2"))

        let dir = world.tempDirectory
        let server = world.spawn(vm2, "exec timeout 40 iperf3 -s -1 -B 10.61.0.2")
        #expect(server > 0)
        usleep(500_000)
        let client = world.spawn(vm1, "timeout 40 iperf3 -c 10.61.0.2 -t 8 -J > \(dir)/iperf.json 2>\(dir)/iperf.err; echo $? > \(dir)/iperf.status")
        #expect(client > 0)
        usleep(2_000_000)

        d.kill9()
        #expect(!d.isAlive)
        // The taps are persistent: the VMs keep their netdevs and addresses while no daemon runs.
        #expect(world.exec(vm1, "ip -4 addr show dev vm1 | grep -q 10.61.0.1/24").ok, "vm1 lost its address with the daemon")
        #expect(world.exec(vm2, "ip -4 addr show dev vm2 | grep -q 10.61.0.2/24").ok, "vm2 lost its address with the daemon")

        // A timestamped ping (one every 50 ms) runs across the restart; the first reply after the daemon is
        // launched gives the restart-to-traffic time.
        let pingFile = "\(dir)/ping.txt"
        let pinger = world.spawn(vm2, "exec ping -D -n -i 0.05 -W 1 -w 12 10.61.0.1 > \(pingFile)")
        usleep(300_000)
        let restartedAt = Date().timeIntervalSince1970
        try d.start()
        let serving = Date().timeIntervalSince1970 - restartedAt
        // Wait for the first reply (at most 5 s), then read its timestamp.
        var firstReply: Double? = nil
        for _ in 0..<100 {
            let text = (try? String(contentsOfFile: pingFile, encoding: .utf8)) ?? ""
            firstReply = text.split(separator: "\n").compactMap { line -> Double? in
                guard line.contains("bytes from"), line.hasPrefix("["), let end = line.firstIndex(of: "]") else { return nil }
                return Double(line[line.index(after: line.startIndex)..<end])
            }.first { $0 >= restartedAt }
            if firstReply != nil { break }
            usleep(50_000)
        }
        kill(pinger, SIGTERM)
        guard let firstReply else {
            Issue.record("no ping reply within 5 s of the restart\nlog:\n\(d.log.suffix(2000))")
            return
        }
        let restartToTraffic = firstReply - restartedAt
        print(String(format: "restart-to-traffic: %.3f s (socket answering after %.3f s)", restartToTraffic, serving))
        #expect(restartToTraffic < 2.0, "traffic resumed only \(restartToTraffic) s after the restart")
        #expect(world.exec(vm1, "ip -4 addr show dev vm1 | grep -q 10.61.0.1/24").ok)
        #expect(world.exec(vm1, "ls /sys/class/net").stdout.split(separator: "\n").sorted() == ["lo", "vm1"])

        // iperf3 finishes by itself (8 s + slack) and succeeds.
        var status: String? = nil
        for _ in 0..<300 {
            if let s = try? String(contentsOfFile: "\(dir)/iperf.status", encoding: .utf8), !s.isEmpty { status = s; break }
            usleep(100_000)
        }
        let json = (try? String(contentsOfFile: "\(dir)/iperf.json", encoding: .utf8)) ?? ""
        #expect(status?.trimmingCharacters(in: .whitespacesAndNewlines) == "0",
                "iperf3 did not succeed (status \(status ?? "none")): \((try? String(contentsOfFile: "\(dir)/iperf.err", encoding: .utf8)) ?? "") \(json.suffix(400))")
        if let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
           let end = obj["end"] as? [String: Any], let recv = end["sum_received"] as? [String: Any],
           let bytes = recv["bytes"] as? Double, let bps = recv["bits_per_second"] as? Double {
            print(String(format: "iperf3 across the crash: %.0f MB in 8 s, %.2f Gbit/s average", bytes / 1e6, bps / 1e9))
            #expect(bytes > 10_000_000, "iperf3 moved only \(bytes) bytes")
        } else {
            Issue.record("could not read iperf3's JSON: \(json.prefix(300))")
        }
        #expect(world.ping(from: vm1, "10.61.0.2"))
    }
}
