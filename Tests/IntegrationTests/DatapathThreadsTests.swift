import ControlProtocol
import Foundation
import TestSupport
import Testing

/// The datapath with two threads: many flows spread over the queues of multi-queue taps.
/// No frame is duplicated or lost, no flow is reordered, every MAC is learned once, counters add
/// up exactly, and a VLAN change made in the middle of traffic holds for every frame the switch
/// sends after the control call returned.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct DatapathThreadsTests {
    static let flows = 64
    static let framesPerFlow = 100

    /// Sends IPv4/UDP frames through AF_PACKET: `flows` flows, each from its own source MAC and UDP
    /// port (so the tap's kernel side puts them on different queues), payload "TPFLOW <flow> <seq>".
    /// `seconds` > 0: keeps going round the flows (sequence numbers keep rising) until the file `stop`
    /// exists, for at most `seconds`. Every frame has the same IPv4 header (`ipv4Header`, checksummed
    /// by ReferenceChecksum), given as hex.
    static let sender = #"""
    import os, socket, struct, sys, time
    iface, dst, flows, per, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    ip = bytes.fromhex(sys.argv[6])
    stop = sys.argv[7] if len(sys.argv) > 7 else None
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    dmac = bytes(int(x, 16) for x in dst.split(':'))
    def frame(f, seq):
        payload = ('TPFLOW %d %d ' % (f, seq)).encode().ljust(32, b'.')
        assert len(payload) == 32
        udp = struct.pack('!HHHH', 20000 + f, 9, 8 + len(payload), 0) + payload
        smac = bytes([2, 0x77, 0, 0, f >> 8, f & 0xff])
        return dmac + smac + b'\x08\x00' + ip + udp
    seq = 0
    end = time.monotonic() + seconds
    sent = 0
    while True:
        for f in range(flows):
            s.send(frame(f, seq))
            sent += 1
        seq += 1
        time.sleep(0.003)
        if seconds > 0:
            if time.monotonic() > end or (stop and os.path.exists(stop)): break
        elif seq >= per: break
    print(sent, flush=True)
    """#

    /// The IPv4 header of every frame the sender sends: 10.62.0.1 → 10.62.0.2, UDP, 60 bytes
    /// (20 + 8 + a 32-byte payload), TTL 64, its checksum from ReferenceChecksum.
    static var ipv4Header: [UInt8] {
        var h: [UInt8] = [0x45, 0, 0, 60, 0, 0, 0, 0, 64, 17, 0, 0, 10, 62, 0, 1, 10, 62, 0, 2]
        let c = ReferenceChecksum.checksum(h)
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xFF)
        return h
    }

    /// Prints "<kernel receive time ns> <flow> <seq>" for each TPFLOW frame arriving on `iface`.
    static let receiver = #"""
    import socket, struct, sys
    iface, ready = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((iface, 3))
    open(ready, 'w').close()
    while True:
        data, anc, flags, addr = s.recvmsg(2048, 64)
        if addr[2] == socket.PACKET_OUTGOING: continue
        i = data.find(b'TPFLOW ')
        if i < 0: continue
        f, q = data[i + 7:].split(b' ')[:2]
        ts = 0
        for level, kind, d in anc:
            if level == socket.SOL_SOCKET and kind == 35:
                sec, nsec = struct.unpack('qq', d[:16]); ts = sec * 1000000000 + nsec
        print(ts, int(f), int(q), flush=True)
    """#

    struct Arrival { let time: Int64; let flow: Int; let seq: Int }

    @Test func manyFlowsOnTwoThreadsStayExactAndInOrderAndAVLANChangeHoldsAtOnce() throws {
        let world = NetnsWorld("dpthr")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host, arguments: ["--datapath-threads", "2"])
        #expect(d.log.contains("2 datapath thread(s)"), "\(d.log.suffix(500))")
        #expect(d.cli("add-br", "br0").ok)
        // The VMs stay quiet (no IPv6 autoconfiguration), so the counters see only the test's frames.
        let vmA = world.namespace("vmA"), vmB = world.namespace("vmB")
        for ns in [vmA, vmB] {
            #expect(world.exec(ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1").ok)
        }
        for (ns, name) in [(vmA, "ta"), (vmB, "tb")] {
            let add = d.cli("add-port", "br0", name, "--type", "tap", "--netns", ns)
            #expect(add.ok, "\(add)")
            #expect(world.exec(ns, "ip link set \(name) up").ok)
        }
        #expect(d.log.contains("ta") && d.log.contains("2 queue(s)"), "taps are not multi-queue: \(d.log.suffix(800))")
        let sender = world.tempDirectory + "/flows-send.py", receiver = world.tempDirectory + "/flows-recv.py"
        try DatapathThreadsTests.sender.write(toFile: sender, atomically: true, encoding: .utf8)
        try DatapathThreadsTests.receiver.write(toFile: receiver, atomically: true, encoding: .utf8)
        let dstMAC = world.mac(vmB, "tb")
        usleep(300_000)

        // 1. Exactness: flows × frames, each exactly once, in order per flow.
        let cpuBefore = threadTicks(d.pid)
        let rxBefore = try d.counters("br0", "ta").rxPackets, txBefore = try d.counters("br0", "tb").txPackets
        let (arrivals, sent) = try run(world, vmA, vmB, sender: sender, receiver: receiver, dst: dstMAC, seconds: 0, during: nil)
        let expected = DatapathThreadsTests.flows * DatapathThreadsTests.framesPerFlow
        #expect(sent == expected, "sender sent \(sent)")
        var seen = Set<Int>()
        var last = [Int](repeating: -1, count: DatapathThreadsTests.flows)
        var duplicates = 0, reordered = 0
        for a in arrivals {
            if !seen.insert(a.flow * 1_000_000 + a.seq).inserted { duplicates += 1 }
            if a.seq <= last[a.flow] { reordered += 1 }
            last[a.flow] = max(last[a.flow], a.seq)
        }
        #expect(duplicates == 0, "\(duplicates) duplicated frames")
        #expect(reordered == 0, "\(reordered) frames out of order within their flow")
        #expect(arrivals.count == expected, "received \(arrivals.count) of \(expected)")
        let rx = try d.counters("br0", "ta").rxPackets - rxBefore, tx = try d.counters("br0", "tb").txPackets - txBefore
        #expect(rx == UInt64(expected) && tx == UInt64(expected), "counters: ta rx \(rx), tb tx \(tx), sent \(expected)")

        // Both datapath threads switched frames (the flows were spread over the tap's two queues).
        let cpuAfter = threadTicks(d.pid)
        let work = ["tapestry-dp0", "tapestry-dp1"].map { cpuAfter[$0, default: 0] - cpuBefore[$0, default: 0] }
        let total = max(work.reduce(0, +), 1)
        #expect(work.allSatisfy { $0 * 100 / total >= 15 }, "datapath CPU per thread (ns): \(work); one thread did (almost) nothing")

        // Every flow's MAC is in the table once, on ta, and was learned once (no moves).
        let fdb = try d.json(FDBShowResult.self, "fdb-show", "br0")
        for f in 0..<DatapathThreadsTests.flows {
            let mac = String(format: "02:77:00:00:%02x:%02x", f >> 8, f & 0xff)
            #expect(fdb.entries.filter { $0.mac.description == mac }.map(\.port) == ["ta"], "\(mac): \(fdb.entries.filter { $0.mac.description == mac })")
        }
        usleep(1_200_000)  // MAC events reach the event log once a second
        let events = d.cli("--format", "json", "events").stdout.split(separator: "\n")
        let learned = events.filter { $0.contains("\"kind\":\"mac-learned\"") && $0.contains("02:77:00:00") }.count
        let moved = events.filter { $0.contains("\"kind\":\"mac-moved\"") && $0.contains("02:77:00:00") }.count
        #expect(learned == DatapathThreadsTests.flows && moved == 0, "learned \(learned), moved \(moved)")

        // 2. A VLAN change in the middle of traffic: after set-port returns, nothing more reaches tb.
        // The sender keeps going until the switch has taken `goOn` more frames from ta after the call
        // returned (however long the call took), so the frames after the change are really there.
        let goOn: UInt64 = 1000
        var returned: Int64 = 0
        var changeOK = false
        let rxA0 = try d.counters("br0", "ta").rxPackets
        var rxAtChange: UInt64 = 0
        let (during, _) = try run(world, vmA, vmB, sender: sender, receiver: receiver, dst: dstMAC, seconds: 50) {
            usleep(1_200_000)
            changeOK = d.cli("set-port", "br0", "tb", "--vlan", "20").ok
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            returned = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
            rxAtChange = (try? d.counters("br0", "ta").rxPackets) ?? 0
            let deadline = Date().addingTimeInterval(30)
            while ((try? d.counters("br0", "ta").rxPackets) ?? 0) < rxAtChange + goOn && Date() < deadline { usleep(50_000) }
        }
        #expect(changeOK)
        let before = during.filter { $0.time <= returned }.count
        let late = during.filter { $0.time > returned }
        #expect(before > 0, "the receiver saw no traffic before the change")
        #expect(late.isEmpty, "\(late.count) frames reached tb after set-port returned: \(late.prefix(3))")
        let rxEnd = try d.counters("br0", "ta").rxPackets
        #expect(rxAtChange > rxA0 && rxEnd >= rxAtChange + goOn, "traffic did not go on after the change (\(rxA0) \(rxAtChange) \(rxEnd))")
        #expect(try d.counters("br0", "ta").drops["egress-filtered", default: 0] + (try d.counters("br0", "ta").drops["no-output", default: 0]) > 0)
    }

    /// Starts the receiver in `vmB`, runs the sender in `vmA` and returns the arrivals. With `during`, the
    /// sender goes on (for at most `seconds`) until `during` has returned; without, it sends its frames and ends.
    private func run(_ world: NetnsWorld, _ vmA: String, _ vmB: String, sender: String, receiver: String, dst: String,
                     seconds: Double, during: (() -> Void)?) throws -> ([Arrival], Int) {
        let out = world.tempDirectory + "/arrivals-\(UUID().uuidString).txt", ready = out + ".ready", stop = out + ".stop"
        let pid = world.spawn(vmB, "exec timeout 60 \(NetnsWorld.python) \(receiver) tb \(ready) > \(out)")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: ready) { usleep(30_000) }
        guard FileManager.default.fileExists(atPath: ready) else { throw TestWorldError("receiver did not start") }
        let cmd = "\(NetnsWorld.python) \(sender) ta \(dst) \(DatapathThreadsTests.flows) \(DatapathThreadsTests.framesPerFlow) \(seconds) "
            + DatapathThreadsTests.ipv4Header.map { String(format: "%02x", $0) }.joined() + " \(stop)"
        let sentFile = out + ".sent"
        let senderPid = world.spawnWithOutput(vmA, "exec timeout 60 \(cmd)", to: sentFile)
        guard senderPid > 0 else { throw TestWorldError("sender did not start") }
        if let during {
            during()
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
        }
        for _ in 0..<1200 where kill(senderPid, 0) == 0 && !isZombie(senderPid) { usleep(50_000) }
        let sentText = (try? String(contentsOfFile: sentFile, encoding: .utf8)) ?? ""
        guard let sent = Int(sentText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestWorldError("sender failed (printed '\(sentText)')")
        }
        usleep(500_000)
        if pid > 0 { kill(pid, SIGTERM) }
        usleep(100_000)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let arrivals = text.split(separator: "\n").compactMap { line -> Arrival? in
            let f = line.split(separator: " ")
            guard f.count == 3, let t = Int64(f[0]), let flow = Int(f[1]), let seq = Int(f[2]) else { return nil }
            return Arrival(time: t, flow: flow, seq: seq)
        }
        return (arrivals, sent)
    }

    /// Nanoseconds on a CPU (the first field of /proc/PID/task/TID/schedstat) of each thread of `pid`, by name.
    private func threadTicks(_ pid: Int32) -> [String: Int] {
        var result: [String: Int] = [:]
        let dir = "/proc/\(pid)/task"
        for tid in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            guard let comm = try? String(contentsOfFile: "\(dir)/\(tid)/comm", encoding: .utf8),
                  let sched = try? String(contentsOfFile: "\(dir)/\(tid)/schedstat", encoding: .utf8),
                  let first = sched.split(separator: " ").first, let ns = Int(first) else { continue }
            result[comm.trimmingCharacters(in: .whitespacesAndNewlines), default: 0] += ns
        }
        return result
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.contains(") Z ")
    }
}
