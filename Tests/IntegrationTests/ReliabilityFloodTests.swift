import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Resource bounds under a MAC flood: 1,000,000 random source MACs into one port. The table stays at
/// its cap, the other ports' entries survive (fair eviction), the daemon's RSS stays bounded, a ping
/// between two other VMs keeps working during the flood, and `--max-macs` holds the flooding port.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ReliabilityFloodTests {
    /// Sends prebuilt frames with a new pseudo-random source MAC each (02:xx:xx:xx:xx:xx) to `dst` until
    /// `count` of them went into the switch: the tap's tx_dropped counter (its queue was full because the
    /// switch was busy) tells how many did not, and the sender backs off then. Bounded by `timeout`.
    static let floodScript = #"""
    import socket, sys, time
    iface, count, dst, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    def drops():
        with open('/sys/class/net/%s/statistics/tx_dropped' % iface) as f:
            return int(f.read())
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    frame = bytearray(bytes.fromhex(dst.replace(':', '')) + b'\x02\0\0\0\0\0' + b'\x88\xb5' + b'mac-flood'.ljust(46, b'\0'))
    x = seed
    sent = errors = 0
    base = last = drops()
    delay = 0.0
    start = time.time()
    while True:
        for i in range(1000):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
            frame[7:12] = (x >> 24).to_bytes(5, 'big')
            try:
                s.send(frame)
                sent += 1
            except OSError:
                errors += 1
        d = drops()
        if sent - (d - base) >= count or time.time() - start > 100:
            break
        delay = min(0.05, delay * 2 + 0.0005) if d > last else max(0.0, delay * 0.9 - 0.00002)
        last = d
        if delay > 0:
            time.sleep(delay)
    print(sent, drops() - base, errors, round(time.time() - start, 2))
    """#

    static func rssKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    static func received(_ pingOutput: String) -> (sent: Int, received: Int) {
        // "30 packets transmitted, 29 received, 3% packet loss"
        guard let line = pingOutput.split(separator: "\n").first(where: { $0.contains("packets transmitted") }) else { return (0, 0) }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : (0, 0)
    }

    @Test(.timeLimit(.minutes(4)))
    func millionMACFloodStaysAtTheCapKeepsOthersAndPingWorks() throws {
        let world = NetnsWorld("flood")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0", "--mac-table-size", "4096").ok)
        // A longer queue on the flooding VM's side of its tap (inside the test's own namespace).
        let attacker = try world.tapVM(d, "br0", "vm1", address: "10.62.0.1/24")
        world.exec(attacker, "ip link set vm1 txqueuelen 10000")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.62.0.2/24")
        _ = try world.tapVM(d, "br0", "vm3", address: "10.62.0.3/24")
        let vm4 = try world.tapVM(d, "br0", "vm4", address: "10.62.0.4/24")
        #expect(world.ping(from: vm2, "10.62.0.3"))
        #expect(world.ping(from: vm4, "10.62.0.2"))
        let victims = ["vm2", "vm3", "vm4"].map { ($0, world.mac(world.prefix + "-" + $0, $0)) }
        let script = world.tempDirectory + "/flood.py"
        try Self.floodScript.write(toFile: script, atomically: true, encoding: .utf8)

        let rssBefore = Self.rssKiB(d.pid)
        let rxBefore = try d.counters("br0", "vm1").rxPackets
        // The ping between two other VMs runs during the whole flood.
        let pingFile = world.tempDirectory + "/ping.txt"
        _ = world.spawn(vm2, "exec ping -n -c 150 -i 0.1 -W 1 10.62.0.3 > \(pingFile)")
        let flood = world.exec(attacker, "timeout 120 \(NetnsWorld.python) \(script) vm1 1000000 02:ee:ee:ee:ee:ee 12345", timeout: 130)
        #expect(flood.ok, "flood: \(flood)")
        for _ in 0..<100 where !((try? String(contentsOfFile: pingFile, encoding: .utf8)) ?? "").contains("packets transmitted") {
            usleep(100_000)
        }
        let ping = Self.received((try? String(contentsOfFile: pingFile, encoding: .utf8)) ?? "")
        let rssAfter = Self.rssKiB(d.pid)
        let rx = try d.counters("br0", "vm1").rxPackets - rxBefore
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        let learned = fdb.entries.filter { !$0.isStatic }
        print("mac-flood: sent/tap-dropped/errors/seconds \(flood.stdout.trimmingCharacters(in: .whitespacesAndNewlines)); switch received \(rx) frames on vm1; "
              + "table \(learned.count)/\(fdb.capacity) (learned \(fdb.learned), evicted \(fdb.evicted)); "
              + "RSS \(rssBefore) KiB before, \(rssAfter) KiB after (+\(rssAfter - rssBefore) KiB); ping during flood \(ping.received)/\(ping.sent)")
        #expect(rx >= 990_000, "only \(rx) flood frames reached the switch")
        #expect(fdb.capacity == 4096)
        #expect(learned.count <= 4096, "table over its cap: \(learned.count)")
        #expect(learned.count >= 4000, "table not filled by the flood: \(learned.count)")
        for (port, mac) in victims {
            #expect(learned.contains { $0.mac.description == mac && $0.port == port }, "\(port)'s entry \(mac) was evicted by the flood")
        }
        // Under a sanitizer (Tools/sanitize sets TAPESTRY_SANITIZER) the allocator's quarantine makes RSS meaningless.
        if ProcessInfo.processInfo.environment["TAPESTRY_SANITIZER"] == nil {
            #expect(rssAfter > 0 && rssAfter - rssBefore < 32 * 1024, "RSS grew from \(rssBefore) to \(rssAfter) KiB")
        }
        #expect(ping.sent == 150 && ping.received >= 135, "ping between vm2 and vm3 during the flood: \(ping.received)/\(ping.sent)")
        #expect(world.ping(from: vm2, "10.62.0.4"), "vm2 → vm4 after the flood")

        // Per-port limit: the flooding port holds at most 100 entries (set-port --max-macs, or JSON-RPC when
        // the CLI lacks the flag).
        let viaCLI = d.cli("set-port", "--help").stdout.contains("max-macs")
        if viaCLI {
            let set = d.cli("set-port", "br0", "vm1", "--max-macs", "100")
            #expect(set.ok, "\(set)")
        } else {
            var params = SetPortParams(bridge: "br0", port: "vm1")
            params.maxMACs = 100
            let reply = RawControl.call(d.socket, RawControl.request(Methods.SetPort.name, params))
            #expect(RawControl.isSuccess(reply), "set-port maxMACs over JSON-RPC: \(reply ?? "no reply")")
        }
        let limited = try d.json(ShowResult.self, "show", "br0").bridges[0].ports.first { $0.config.name == "vm1" }?.config.maxMACs
        #expect(limited == 100, "maxMACs not stored: \(String(describing: limited))")
        let second = world.exec(attacker, "timeout 60 \(NetnsWorld.python) \(script) vm1 200000 02:ee:ee:ee:ee:ee 777", timeout: 70)
        #expect(second.ok, "\(second)")
        usleep(300_000)
        let after = try d.json(FDBShowResult.self, "fdb-show", "br0")
        let onAttacker = after.entries.filter { $0.port == "vm1" && !$0.isStatic }.count
        print("max-macs: vm1 holds \(onAttacker) entries after 200000 more random sources (limit 100, set via \(viaCLI ? "CLI" : "JSON-RPC"))")
        #expect(onAttacker <= 100, "vm1 holds \(onAttacker) entries with --max-macs 100")
        #expect(onAttacker >= 90, "vm1 learned almost nothing: \(onAttacker)")
        for (port, mac) in victims {
            #expect(after.entries.contains { $0.mac.description == mac && $0.port == port }, "\(port)'s entry lost")
        }
        #expect(world.ping(from: vm2, "10.62.0.3"))
        #expect(d.isAlive)
    }
}
