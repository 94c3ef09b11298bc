import Foundation
import TestSupport

/// A steady UDP probe across a data path, to measure how long it was broken (e.g. while a bond moves
/// its flows off a member that was cut): a sender sends a numbered datagram every `interval`, its
/// source port going round `flows` ports so that a bond's hash spreads the flows over its members;
/// the receiver writes one line per datagram. Unlike a TCP transfer, whose silence after a short
/// outage is stretched by the retransmission timeout's backoff, the probe shows the outage itself.
enum UDPProbe {
    static let flows = 16
    static let interval = 0.002

    /// `dst dport bind base flows interval seconds stop`: datagram `seq` leaves from port `base + seq % flows`
    /// at `seq × interval` after the start, payload "TPPROBE <seq> <unix send time>", until the file
    /// `stop` exists (at most `seconds`); then prints how many it sent.
    static let sender = #"""
    import os, socket, sys, time
    dst, dport, bind, base, flows = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    interval, seconds, stop = float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
    socks = []
    for k in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((bind, base + k))
        socks.append(s)
    start = time.monotonic()
    seq = 0
    while time.monotonic() - start < seconds and not (seq % 50 == 0 and os.path.exists(stop)):
        due = start + seq * interval
        now = time.monotonic()
        if due > now: time.sleep(due - now)
        try: socks[seq % flows].sendto(b'TPPROBE %d %.6f' % (seq, time.time()), (dst, dport))
        except OSError: pass
        seq += 1
    print(seq, flush=True)
    """#

    /// `bind port ready`: writes "<seq> <send time> <source port>" for each probe datagram arriving.
    static let receiver = #"""
    import socket, sys
    bind, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind, port))
    open(ready, 'w').close()
    while True:
        data, addr = s.recvfrom(256)
        f = data.split()
        if len(f) == 3 and f[0] == b'TPPROBE':
            print(f[1].decode(), f[2].decode(), addr[1], flush=True)
    """#

    /// One direction of a probe: its receiver and sender processes and their files.
    struct Run {
        let out: String
        let sentFile: String
        let stop: String
        let receiverPid: Int32
        let senderPid: Int32

        /// Starts the receiver in `toNS` on `toAddress:port`, then the sender in `fromNS` (source ports from `basePort`).
        init(_ world: NetnsWorld, from fromNS: String, _ fromAddress: String, to toNS: String, _ toAddress: String,
             port: Int, basePort: Int) throws {
            let dir = world.tempDirectory
            let send = dir + "/probe-send.py", receive = dir + "/probe-recv.py"
            try UDPProbe.sender.write(toFile: send, atomically: true, encoding: .utf8)
            try UDPProbe.receiver.write(toFile: receive, atomically: true, encoding: .utf8)
            out = dir + "/probe-\(port).txt"
            sentFile = out + ".sent"
            stop = out + ".stop"
            let ready = out + ".ready"
            receiverPid = world.spawn(toNS, "exec timeout 120 \(NetnsWorld.python) \(receive) \(toAddress) \(port) \(ready) > \(out)")
            for _ in 0..<100 where !FileManager.default.fileExists(atPath: ready) { usleep(30_000) }
            guard FileManager.default.fileExists(atPath: ready) else { throw TestWorldError("probe receiver on port \(port) did not start") }
            senderPid = world.spawnWithOutput(fromNS, "exec timeout 120 \(NetnsWorld.python) \(send) \(toAddress) \(port) \(fromAddress) "
                                              + "\(basePort) \(UDPProbe.flows) \(UDPProbe.interval) 100 \(stop)", to: sentFile)
            guard senderPid > 0 else { throw TestWorldError("probe sender to port \(port) did not start") }
        }

        /// Stops the sender, lets the last datagrams arrive, stops the receiver and reads what arrived.
        func finish() -> Outcome {
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            for _ in 0..<100 where (try? String(contentsOfFile: sentFile, encoding: .utf8))?.contains("\n") != true { usleep(50_000) }
            usleep(300_000)
            if receiverPid > 0 { kill(-receiverPid, SIGTERM); kill(receiverPid, SIGTERM) }
            let sent = Int(((try? String(contentsOfFile: sentFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            let arrivals = text.split(separator: "\n").compactMap { line -> Arrival? in
                let f = line.split(separator: " ")
                guard f.count == 3, let seq = Int(f[0]), let time = Double(f[1]), let port = Int(f[2]) else { return nil }
                return Arrival(seq: seq, sent: time, port: port)
            }
            return Outcome(sent: sent, arrivals: arrivals)
        }
    }

    struct Arrival {
        let seq: Int
        /// When the sender sent it (Unix time).
        let sent: Double
        let port: Int
    }

    /// What arrived of one direction's probe.
    struct Outcome {
        /// Datagrams the sender sent.
        let sent: Int
        let arrivals: [Arrival]

        var lost: Int { sent - Set(arrivals.map(\.seq)).count }

        /// The flows (source ports) with a datagram sent after `time` that arrived.
        func flows(deliveredAfter time: Double) -> Set<Int> { Set(arrivals.filter { $0.sent > time }.map(\.port)) }

        /// The longest time one flow's datagrams were lost in a row around `start...end` (a cut): from the send
        /// time of the flow's last datagram that arrived before the loss to that of its first one after it (no
        /// later one: to the end of the probe, `.infinity` when nothing at all arrived). A flow whose datagrams
        /// all arrived adds nothing; a sender that was late sends fewer datagrams but loses none.
        func longestLoss(around start: Double, _ end: Double) -> Double {
            guard let last = arrivals.map(\.sent).max() else { return .infinity }
            var longest = 0.0
            for (_, list) in Dictionary(grouping: arrivals, by: \.port) {
                let mine = list.sorted { $0.seq < $1.seq }
                for (a, b) in zip(mine, mine.dropFirst()) where b.seq - a.seq > UDPProbe.flows && a.sent <= end && b.sent >= start {
                    longest = max(longest, b.sent - a.sent)
                }
                if let tail = mine.last, sent - 1 - tail.seq >= UDPProbe.flows, tail.sent <= end { longest = max(longest, last - tail.sent) }
            }
            return longest
        }
    }
}
