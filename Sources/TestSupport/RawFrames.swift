import Foundation

/// One frame read through AF_PACKET by `NetnsWorld.receiveFrames`.
public struct RawFrame: Decodable, Sendable, CustomStringConvertible {
    public let dst: String
    public let src: String
    /// The 802.1Q VLAN id, whether the tag was in the bytes or in PACKET_AUXDATA; nil when untagged.
    public let vlan: Int?
    /// Whether the tag was still in the frame's bytes (false when the kernel moved it to auxdata).
    public let tagInline: Bool
    /// The ethertype after any tag.
    public let etherType: Int
    public let payload: String

    public var description: String {
        "\(src)→\(dst) \(vlan.map { "vlan \($0)" } ?? "untagged") type 0x\(String(etherType, radix: 16)) \(payload)"
    }
}

/// Sending and reading raw (optionally 802.1Q-tagged) Ethernet frames through AF_PACKET with a
/// small python3 script, for ports where the kernel has no VLAN sub-interfaces to do it.
extension NetnsWorld {
    /// The python3 interpreter used for raw-socket helpers.
    public static var python: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    }

    static let frameToolSource = #"""
    import json, socket, struct, sys, time
    ETH_P_ALL = 3
    SOL_PACKET = 263
    PACKET_AUXDATA = 8
    TP_STATUS_VLAN_VALID = 0x10

    def mac(s):
        return bytes(int(x, 16) for x in s.split(':'))

    def fmt(b):
        return ':'.join('%02x' % x for x in b)

    cmd = sys.argv[1]
    if cmd == 'send':
        iface, dst, src, vlan, etype, payload, count = sys.argv[2:9]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        frame = mac(dst) + mac(src)
        if int(vlan) >= 0:
            frame += struct.pack('!HH', 0x8100, int(vlan))
        frame += struct.pack('!H', int(etype, 0)) + payload.encode()
        frame += b'\0' * max(0, 60 - len(frame))
        for i in range(int(count)):
            s.send(frame)
            time.sleep(0.02)
    elif cmd == 'sendhex':
        iface, hexframe, count = sys.argv[2:5]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        for i in range(int(count)):
            s.send(bytes.fromhex(hexframe))
            time.sleep(0.02)
    elif cmd == 'recv':
        iface, marker, ready = sys.argv[2:5]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((iface, ETH_P_ALL))
        open(ready, 'w').close()
        m = marker.encode()
        while True:
            data, anc, flags, addr = s.recvmsg(70000, socket.CMSG_SPACE(64))
            if addr[2] == socket.PACKET_OUTGOING or m not in data or len(data) < 14:
                continue
            vlan = None
            inline = False
            for level, kind, d in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA and len(d) >= 20:
                    status, _, _, _, _, tci, _ = struct.unpack('IIIHHHH', d[:20])
                    if (status & TP_STATUS_VLAN_VALID) or tci:
                        vlan = tci & 0xfff
            etype = struct.unpack('!H', data[12:14])[0]
            rest = data[14:]
            if etype in (0x8100, 0x88a8) and len(data) >= 18:
                inline = True
                vlan = struct.unpack('!H', data[14:16])[0] & 0xfff
                etype = struct.unpack('!H', data[16:18])[0]
                rest = data[18:]
            text = rest.rstrip(b'\0').decode('ascii', 'replace')
            print(json.dumps({'dst': fmt(data[0:6]), 'src': fmt(data[6:12]), 'vlan': vlan, 'tagInline': inline,
                              'etherType': etype, 'payload': text}), flush=True)
    """#

    /// The frame tool's path (written into the world's temp directory on first use).
    public var frameTool: String {
        let path = tempDirectory + "/frametool.py"
        if !FileManager.default.fileExists(atPath: path) {
            try? NetnsWorld.frameToolSource.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    /// Sends `count` frames out of `interface` in `ns` (into the switch, for a tap): `dst`/`src` MACs,
    /// an 802.1Q tag with `vlan` when given, `etherType` (default 0x88b5, local experimental) and `payload`.
    @discardableResult
    public func sendFrame(_ ns: String, _ interface: String, dst: String = "ff:ff:ff:ff:ff:ff", src: String,
                          vlan: Int? = nil, etherType: UInt16 = 0x88b5, payload: String, count: Int = 3) -> Shell.Output {
        let args = [frameTool, "send", interface, dst, src, String(vlan ?? -1), "0x" + String(etherType, radix: 16), payload, String(count)]
        return exec(ns, ([NetnsWorld.python] + args).map(Shell.quote).joined(separator: " "), timeout: 20)
    }

    /// Sends the exact bytes `hex` (no padding, may be malformed) `count` times out of `interface` in `ns`.
    @discardableResult
    public func sendRawFrame(_ ns: String, _ interface: String, hex: String, count: Int = 3) -> Shell.Output {
        let args = [frameTool, "sendhex", interface, hex, String(count)]
        return exec(ns, ([NetnsWorld.python] + args).map(Shell.quote).joined(separator: " "), timeout: 20)
    }

    /// Listens on each `(namespace, interface)` at once (incoming frames only) while `body` runs and
    /// returns, per `"namespace/interface"`, the frames whose bytes contain `marker`.
    public func receiveFrames(on listeners: [(ns: String, interface: String)], marker: String,
                              _ body: () -> Void) -> [String: [RawFrame]] {
        var files: [(key: String, out: String, ready: String, pid: Int32)] = []
        for (ns, interface) in listeners {
            let id = UUID().uuidString
            let out = "\(tempDirectory)/rx-\(id).jsonl", ready = "\(tempDirectory)/rx-\(id).ready"
            let cmd = ["exec", "timeout", "60", NetnsWorld.python, frameTool, "recv", interface, marker, ready]
                .map { $0 == "exec" || $0 == "timeout" || $0 == "60" ? $0 : Shell.quote($0) }.joined(separator: " ")
            let pid = spawnWithOutput(ns, cmd, to: out)
            files.append(("\(ns)/\(interface)", out, ready, pid))
        }
        for _ in 0..<100 where !files.allSatisfy({ FileManager.default.fileExists(atPath: $0.ready) }) { usleep(30_000) }
        body()
        usleep(400_000)
        var result: [String: [RawFrame]] = [:]
        for f in files {
            if f.pid > 0 { kill(f.pid, SIGTERM) }
        }
        usleep(100_000)
        for f in files {
            let text = (try? String(contentsOfFile: f.out, encoding: .utf8)) ?? ""
            result[f.key] = text.split(separator: "\n").compactMap { try? JSONDecoder().decode(RawFrame.self, from: Data($0.utf8)) }
        }
        return result
    }

    /// Like `spawn`, but the command's stdout goes to `file`.
    public func spawnWithOutput(_ ns: String, _ command: String, to file: String) -> Int32 {
        spawn(ns, "\(command) > \(Shell.quote(file))")
    }

    /// The MAC address of `interface` in `ns`.
    public func mac(_ ns: String, _ interface: String) -> String {
        exec(ns, "cat /sys/class/net/\(interface)/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
