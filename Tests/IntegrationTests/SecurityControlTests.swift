import ControlProtocol
import Foundation
import HostSystem
import TapestryModel
import TestSupport
import Testing

/// A raw client of the control socket (bypasses the CLI's own validation), for attacks on the protocol.
enum RawControl {
    /// Connects to `path`, sends `payload` (a newline is appended), and returns the first reply line
    /// (nil when the daemon closed without answering). Bounded by `timeout` seconds.
    static func call(_ path: String, _ payload: Data, timeout: Int = 10) -> String? {
        guard let client = try? UnixStreamClient(path: path, timeout: .seconds(timeout)) else { return nil }
        // The daemon may answer "too large" and close before reading everything: ignore send errors.
        try? client.send([UInt8](payload) + [0x0A])
        guard let reply = try? client.readLine(limit: 64 << 20) else { return nil }
        return String(decoding: reply, as: UTF8.self)
    }

    static func call(_ path: String, _ text: String) -> String? { call(path, Data(text.utf8)) }

    /// The error code of a JSON-RPC reply, nil when it is a success.
    static func errorCode(_ reply: String?) -> Int? {
        guard let reply, let obj = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any],
              let error = obj["error"] as? [String: Any] else { return nil }
        return error["code"] as? Int
    }

    static func isSuccess(_ reply: String?) -> Bool {
        guard let reply, let obj = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] else { return false }
        return obj["error"] == nil && obj["result"] != nil
    }

    /// A request line for method `name` with Codable `params`.
    static func request<P: Encodable>(_ name: String, _ params: P, id: Int = 1) -> String {
        let p = String(decoding: try! JSONEncoder().encode(params), as: UTF8.self)
        return #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(name)","params":\#(p)}"#
    }
}

/// The control socket is locked down: 0660 root-owned (group configurable), state and run directories
/// 0700/0750, unprivileged users cannot drive the switch, and bad names never reach netlink.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct SecurityControlTests {
    static func mode(_ path: String) -> (mode: Int, uid: UInt32, gid: UInt32)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (Int(st.st_mode & 0o7777), st.st_uid, st.st_gid)
    }

    static var setprivAvailable: Bool { Shell.run("command -v setpriv && getent passwd nobody && getent group nogroup").ok }

    /// Runs the CLI as nobody:nogroup without supplementary groups.
    static func cliAsNobody(_ socket: String, _ args: String...) -> Shell.Output {
        let bin = NetnsWorld.binDirectory
        return Shell.run("setpriv --reuid=nobody --regid=nogroup --clear-groups \(bin)/tapestry --socket \(Shell.quote(socket)) "
                         + args.map(Shell.quote).joined(separator: " "), timeout: 20)
    }

    @Test func socketAndDirectoriesAreLockedDown() throws {
        let world = NetnsWorld("sperm")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        let socket = try #require(Self.mode(d.socket), "no socket at \(d.socket)")
        #expect(socket.mode == 0o660, "socket mode \(String(socket.mode, radix: 8))")
        #expect(socket.uid == 0 && socket.gid == 0, "socket owned by \(socket.uid):\(socket.gid)")
        let state = try #require(Self.mode(d.directory + "/state"))
        #expect(state.mode == 0o700, "state dir mode \(String(state.mode, radix: 8))")
        let run = try #require(Self.mode(d.directory + "/run"))
        #expect(run.mode == 0o750, "run dir mode \(String(run.mode, radix: 8))")
        // What the daemon writes into the state dir is not readable by others either.
        #expect(d.cli("add-br", "br0").ok)
        let config = try #require(Self.mode(d.directory + "/state/config.json"))
        #expect(config.mode & 0o077 == 0, "config.json mode \(String(config.mode, radix: 8))")
    }

    @Test(.enabled(if: SecurityControlTests.setprivAvailable, "needs setpriv and the nobody user"))
    func unprivilegedUserCannotConnectOrChangeAnything() throws {
        let world = NetnsWorld("snob")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let before = try d.configView()

        // Through the daemon's own run dir (0750 root) and, to test the socket's mode by itself, through a
        // second daemon whose socket sits in a directory everyone may enter.
        let open = world.tempDirectory + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        chmod(world.tempDirectory, 0o755)
        chmod(open, 0o755)
        let second = world.namespace("host2")
        let socket2 = open + "/ctl.sock"
        let pid2 = world.spawn(second, "exec \(NetnsWorld.binDirectory)/tapestryd --run-dir \(world.tempDirectory)/d2/run "
                               + "--state-dir \(world.tempDirectory)/d2/state --socket \(socket2)")
        #expect(pid2 > 0)
        for _ in 0..<100 where RawControl.call(socket2, RawControl.request("version", [String: String]())) == nil { usleep(50_000) }
        #expect(Self.mode(socket2)?.mode == 0o660)

        for socket in [d.socket, socket2] {
            for args in [["add-br", "evil"], ["del-br", "br0"], ["list-br"], ["show"]] {
                let out = Self.cliAsNobody(socket, args[0], args.count > 1 ? args[1] : "--format=table")
                #expect(!out.ok, "nobody ran \(args) on \(socket): \(out)")
                let message = (out.stderr + out.stdout).lowercased()
                #expect(message.contains("permission denied") || message.contains("not permitted") || message.contains("cannot connect")
                        || message.contains("could not connect"), "unclear refusal for nobody: \(out)")
            }
        }
        // A raw connect as nobody fails too (not only the CLI).
        let raw = Shell.run("setpriv --reuid=nobody --regid=nogroup --clear-groups \(NetnsWorld.python) -c "
                            + Shell.quote("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])") + " " + socket2)
        #expect(!raw.ok && raw.stderr.contains("PermissionError"), "nobody connected to the socket: \(raw)")
        #expect(try d.configView() == before, "show changed after nobody's attempts")
        let list = d.cli("list-br")
        #expect(list.ok && list.stdout.contains("br0") && !list.stdout.contains("evil"))
        kill(pid2, SIGTERM)
    }

    @Test(.enabled(if: SecurityControlTests.setprivAvailable, "needs setpriv and the nogroup group"))
    func socketGroupLetsThatGroupIn() throws {
        let world = NetnsWorld("sgrp")
        defer { world.close() }
        let host = world.namespace("host")
        let open = world.tempDirectory + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        chmod(world.tempDirectory, 0o755)
        chmod(open, 0o755)
        let socket = open + "/ctl.sock"
        let pid = world.spawn(host, "exec \(NetnsWorld.binDirectory)/tapestryd --run-dir \(world.tempDirectory)/d/run "
                              + "--state-dir \(world.tempDirectory)/d/state --socket \(socket) --socket-group nogroup")
        #expect(pid > 0)
        for _ in 0..<100 where RawControl.call(socket, RawControl.request("version", [String: String]())) == nil { usleep(50_000) }
        let gid = UInt32(Shell.run("getent group nogroup | cut -d: -f3").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let st = try #require(Self.mode(socket))
        #expect(st.mode == 0o660 && st.uid == 0 && st.gid == gid, "socket \(String(st.mode, radix: 8)) \(st.uid):\(st.gid), want 660 0:\(gid)")
        // A member of the group may drive the switch.
        let list = Self.cliAsNobody(socket, "list-br")
        #expect(list.ok, "nogroup member refused: \(list)")
        // An unknown group is refused at start.
        let bad = Shell.run("ip netns exec \(host) \(NetnsWorld.binDirectory)/tapestryd --run-dir \(world.tempDirectory)/e/run "
                            + "--state-dir \(world.tempDirectory)/e/state --socket-group no-such-group-xyz", timeout: 10)
        #expect(!bad.ok && bad.stderr.contains("no-such-group-xyz"), "\(bad)")
        kill(pid, SIGTERM)
    }

    /// Names that must never reach netlink (or any generated config or command line).
    static let badNames: [(String, String)] = [
        ("slash", "a/b"), ("dotdot", ".."), ("dot", "."), ("newline", "a\nb"), ("space", "a b"), ("tab", "a\tb"),
        ("too long", "abcdefghijklmnop"), ("too long utf8", "ééééééééé"), ("empty", ""), ("colon", "a:b"), ("nul", "a\u{0}b"),
    ]
    static let shellNames: [(String, String)] = [
        ("semicolon", "a;reboot"), ("dollar", "$(id)"), ("backtick", "a`id`"), ("pipe", "a|b"), ("ampersand", "a&b"),
        ("quote", "a\"b"), ("single quote", "a'b"), ("redirect", "a>b"), ("glob", "a*"), ("backslash", "a\\b"),
    ]

    @Test func badNamesAreRefusedBeforeNetlink() throws {
        let world = NetnsWorld("snam")
        defer { world.close() }
        let host = world.namespace("host")
        let vm = world.namespace("vm")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let before = try d.configView()
        let linksBefore = world.exec(host, "ip -o link show").stdout
        var acceptedShellNames: [String] = []
        for (what, name) in Self.badNames + Self.shellNames {
            let isShell = Self.shellNames.contains { $0.1 == name }
            // Through the CLI.
            let br = d.cli("add-br", name)
            let port = d.cli("add-port", "br0", name, "--type", "tap", "--netns", vm)
            let internalPort = d.cli("add-port", "br0", name, "--type", "internal")
            // Through raw JSON-RPC, bypassing the CLI's checks.
            let rawBridge = RawControl.call(d.socket, RawControl.request("add-br", AddBridgeParams(bridge: BridgeConfig(name: name), mayExist: false)))
            let rawPort = RawControl.call(d.socket, RawControl.request("add-port",
                AddPortParams(bridge: "br0", port: PortConfig(name: name, type: .internal), mayExist: false, network: nil)))
            let accepted = [br.ok, port.ok, internalPort.ok, RawControl.isSuccess(rawBridge), RawControl.isSuccess(rawPort)]
            if isShell {
                if accepted.contains(true) { acceptedShellNames.append(name) }
                // Whatever the policy, nothing may break: clean up what was accepted.
                _ = d.cli("del-port", "br0", name); _ = d.cli("del-br", name)
                continue
            }
            #expect(!accepted.contains(true), "\(what) name \(name.debugDescription) accepted (cli br/tap/internal, rpc br/port): \(accepted)")
            #expect(!br.stderr.isEmpty && !port.stderr.isEmpty, "no reason given for \(what)")
            #expect(RawControl.errorCode(rawBridge) != nil && RawControl.errorCode(rawPort) != nil,
                    "raw add of \(what) name: \(rawBridge ?? "no reply") / \(rawPort ?? "no reply")")
        }
        // Shell metacharacters are legal in Linux interface names and the daemon runs no shell; still, names
        // reach nft rules and dnsmasq configs, so only letters, digits and '-', '_', '.', '+' are accepted.
        #expect(acceptedShellNames.isEmpty, "accepted: \(acceptedShellNames.map(\.debugDescription))")
        let after = try d.configView()
        #expect(after.bridges == before.bridges, "the configuration changed: \(after)")
        let linksAfter = world.exec(host, "ip -o link show").stdout
        #expect(linksAfter.split(separator: "\n").count == linksBefore.split(separator: "\n").count,
                "netdevs changed:\nbefore:\n\(linksBefore)\nafter:\n\(linksAfter)")
        #expect(world.exec(vm, "ls /sys/class/net").stdout.split(separator: "\n") == ["lo"])
        #expect(d.isAlive && d.cli("list-br").ok)
    }

    @Test func malformedAndHugeRequestsAreRefusedAndTheDaemonKeepsServing() throws {
        let world = NetnsWorld("shuge")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let before = try d.configView()
        // A request line longer than 1 MiB is refused with the size-limit error.
        func request(padding: Int) -> Data {
            var d = Data(#"{"jsonrpc":"2.0","id":1,"method":"add-br","params":{"bridge":{"name":"x"},"pad":""#.utf8)
            d.append(Data(repeating: UInt8(ascii: "a"), count: padding))
            d.append(Data(#""}}"#.utf8))
            return d
        }
        let twoMiB = RawControl.call(d.socket, request(padding: 2 << 20))
        #expect(RawControl.errorCode(twoMiB) == RPCError.requestTooLarge, "2 MiB request: \(twoMiB?.prefix(300) ?? "no reply")")
        // Just over the limit (1 MiB + 4 KiB, newline included in the last chunk read).
        let justOver = RawControl.call(d.socket, request(padding: (1 << 20) + 4096))
        #expect(RawControl.errorCode(justOver) == RPCError.requestTooLarge, "1 MiB + 4 KiB request: \(justOver?.prefix(300) ?? "no reply")")
        // 8 MiB without any newline: refused too, and memory is not taken for it.
        let endless = RawControl.call(d.socket, Data(repeating: UInt8(ascii: "{"), count: 8 << 20))
        #expect(RawControl.errorCode(endless) == RPCError.requestTooLarge, "8 MiB request: \(endless?.prefix(300) ?? "no reply")")
        // Truncated, wrong types, unknown methods, not JSON at all.
        let cases: [(String, Int)] = [
            (#"{"jsonrpc":"2.0","id":2,"method":"add-br","params":{"bridge":{"na"#, RPCError.parseError),
            (#"{"jsonrpc":"2.0","id":3,"method":"add-br","params":{"bridge":42}}"#, RPCError.invalidParams),
            (#"{"jsonrpc":"2.0","id":4,"method":"reboot-host","params":{}}"#, RPCError.methodNotFound),
            (#"{"jsonrpc":"1.0","id":5,"method":"show","params":{}}"#, RPCError.invalidRequest),
            ("\u{0}\u{1}\u{2}binary", RPCError.parseError),
            (#"[1,2,3]"#, RPCError.invalidRequest),
        ]
        for (text, code) in cases {
            let r = RawControl.call(d.socket, text)
            #expect(RawControl.errorCode(r) == code, "\(text.prefix(60)) → \(r ?? "no reply")")
        }
        #expect(d.isAlive)
        #expect(try d.configView() == before)
        #expect(d.cli("add-br", "br1").ok, "the daemon stopped serving after bad requests")
    }
}
