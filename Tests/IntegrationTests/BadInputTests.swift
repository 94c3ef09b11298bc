import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Bad CLI arguments and malformed JSON-RPC get a clear error and change nothing.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct BadInputTests {
    @Test func badCLIArgumentsAreRefusedAndChangeNothing() throws {
        let world = NetnsWorld("badcli")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        #expect(d.cli("add-br", "br1").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.59.0.1/24")
        let before = try d.configView()
        let beforeLinks = world.exec(host, "ls /sys/class/net").stdout

        let cases: [[String]] = [
            ["add-port", "br0", "vx", "--vlan", "4095"],
            ["add-port", "br0", "vx", "--vlan", "0"],
            ["add-port", "br0", "vx", "--vlan", "10x"],
            ["add-port", "nosuch", "vx"],
            ["add-port", "br0", "vm1", "--type", "tap", "--netns", vm1],
            ["add-port", "br0", "vm1", "--type", "internal"],
            ["add-port", "br1", "vm1", "--type", "internal"],
            ["add-port", "br0", "abcdefghijklmnop"],
            ["add-port", "br0", "vx", "--trunk", "5-3"],
            ["add-port", "br0", "vx", "--trunk", "10,4095"],
            ["add-port", "br0", "vx", "--mac", "01:00:5e:00:00:01"],
            ["add-port", "br0", "vx", "--type", "internal", "--netns", vm1],
            ["add-port", "br0", "vx", "--type", "system"],
            ["add-port", "br0", "vx", "--netns", "\(world.prefix)-nosuchns"],
            ["add-br", "br0"],
            ["add-br", "br2", "--mode", "router"],
            ["set-port", "br0", "vm1", "--vlan", "4095"],
            ["set-port", "br0", "nosuch", "--vlan", "10"],
            ["del-port", "br0", "nosuch"],
            ["del-br", "nosuch"],
            ["fdb-add", "br0", "vm1", "ff:ff:ff:ff:ff:ff", "--vlan", "10"],
        ]
        for args in cases {
            let out = d.cli(args)
            let cmd = args.joined(separator: " ")
            #expect(out.status == 1, "`\(cmd)` exited \(out.status)")
            let lines = out.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "`\(cmd)` stderr is not one line: \(out.stderr)")
            #expect(out.stderr.hasPrefix("could not "), "`\(cmd)` stderr: \(out.stderr)")
            #expect(out.stdout.isEmpty, "`\(cmd)` printed to stdout: \(out.stdout)")
        }
        let after = try d.configView()
        #expect(after == before, "a refused command changed the state:\nbefore: \(before)\nafter:  \(after)")
        #expect(world.exec(host, "ls /sys/class/net").stdout == beforeLinks, "a refused command left a netdev behind")
        #expect(world.exec(vm1, "ip link show vm1").ok, "the existing port's tap was disturbed")
        #expect(d.isAlive)
    }

    /// Malformed JSON-RPC sent straight to the control socket: each gets an error response
    /// (the oversized line may instead close the connection), and the daemon keeps serving.
    @Test func malformedJSONRPCGetsErrorsAndDaemonSurvives() throws {
        let world = NetnsWorld("badrpc")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let before = try d.configView()

        let script = #"""
        import json, socket, sys
        path = sys.argv[1]
        cases = [
            ("garbage", b"hello, this is not json\n"),
            ("truncated", b'{"jsonrpc":"2.0","id":1,"method":"show","par\n'),
            ("binary", b'\xff\xfe\x00\x01{\x80\n'),
            ("not-an-object", b'[1,2,3]\n'),
            ("no-method", b'{"jsonrpc":"2.0","id":5}\n'),
            ("wrong-version", b'{"jsonrpc":"1.0","id":6,"method":"show","params":{}}\n'),
            ("unknown-method", b'{"jsonrpc":"2.0","id":2,"method":"frobnicate","params":{}}\n'),
            ("wrong-types", b'{"jsonrpc":"2.0","id":3,"method":"add-port","params":{"bridge":5,"port":"x","mayExist":"yes"}}\n'),
            ("wrong-nested-types", b'{"jsonrpc":"2.0","id":4,"method":"add-br","params":{"bridge":{"name":["x"]},"mayExist":false}}\n'),
            ("missing-params", b'{"jsonrpc":"2.0","id":7,"method":"add-br"}\n'),
            ("bad-vlan", b'{"jsonrpc":"2.0","id":8,"method":"add-port","params":{"bridge":"br0","mayExist":false,"port":{"name":"vx","type":"tap","vlan":4095,"isolated":false}}}\n'),
            ("deep-nesting", b'[' * 200000 + b'\n'),
            ("oversized", b'{"jsonrpc":"2.0","id":9,"method":"show","params":{"bridge":"' + b'a' * (2 << 20) + b'"}}\n'),
        ]
        results = []
        for name, payload in cases:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path)
            r = {"name": name, "closed": False, "response": None}
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                r["closed"] = True
            buf = b""
            try:
                while not buf.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        r["closed"] = True
                        break
                    buf += chunk
            except (ConnectionResetError, BrokenPipeError):
                r["closed"] = True
            except socket.timeout:
                r["timeout"] = True
            if buf.strip():
                try:
                    r["response"] = json.loads(buf.split(b"\n")[0])
                except Exception:
                    r["raw"] = buf[:200].decode("latin-1")
            # The same connection still works after an error (except when the daemon closed it).
            if name == "garbage":
                s.sendall(b'{"jsonrpc":"2.0","id":42,"method":"show","params":{}}\n')
                line = s.makefile("rb").readline()
                r["after"] = json.loads(line) if line else None
            s.close()
            results.append(r)
        print(json.dumps(results))
        """#
        let path = world.tempDirectory + "/rpc.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let out = world.exec(host, "\(NetnsWorld.python) \(path) \(d.socket)", timeout: 90)
        #expect(out.ok, "\(out)")
        let results = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [[String: Any]] ?? []
        #expect(results.count == 13, "rpc script output: \(out)")

        func code(_ r: [String: Any]) -> Int? { ((r["response"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? Int }
        func id(_ r: [String: Any]) -> Any? { (r["response"] as? [String: Any])?["id"] }
        let expected: [String: Int] = [
            "garbage": RPCError.parseError, "truncated": RPCError.parseError, "binary": RPCError.parseError,
            "not-an-object": RPCError.invalidRequest, "no-method": RPCError.invalidRequest,
            "wrong-version": RPCError.invalidRequest, "unknown-method": RPCError.methodNotFound,
            "wrong-types": RPCError.invalidParams, "wrong-nested-types": RPCError.invalidParams,
            "missing-params": RPCError.invalidParams, "bad-vlan": RPCError.invalidParams,
        ]
        for r in results {
            let name = r["name"] as? String ?? "?"
            let response = r["response"] as? [String: Any]
            if name == "oversized" {
                #expect(code(r) == RPCError.requestTooLarge || (response == nil && r["closed"] as? Bool == true),
                        "oversized request: \(r)")
                continue
            }
            #expect(response?["jsonrpc"] as? String == "2.0", "\(name): \(r)")
            #expect(response?["result"] == nil || response?["result"] is NSNull, "\(name) got a result: \(r)")
            if let want = expected[name] {
                #expect(code(r) == want, "\(name): expected error \(want), got \(r)")
            } else {
                #expect(code(r) != nil, "\(name): expected a JSON-RPC error, got \(r)")
            }
            if ["unknown-method", "wrong-types"].contains(name) {
                #expect(id(r) as? Int == (name == "unknown-method" ? 2 : 3), "\(name): id not echoed: \(r)")
            }
            if name == "garbage" {
                let after = r["after"] as? [String: Any]
                #expect(after?["result"] is [String: Any], "the connection did not serve show after an error: \(r)")
            }
        }

        #expect(d.isAlive, "tapestryd died; log:\n\(d.log.suffix(2000))")
        let show = d.cli("show")
        #expect(show.ok && show.stdout.contains("br0"), "show after malformed requests: \(show)")
        #expect(try d.configView() == before)
    }
}
