import Testing
@testable import tapestry

/// `--connect ssh://…` URLs, in the manner of virsh's `qemu+ssh://`.
@Suite struct ConnectTargetTests {
    @Test func fullURL() throws {
        let t = try ConnectTarget(parsing: "ssh://ops@host1.example:2222/run/tapestry/tapestryd.sock?keyfile=/k/id&no_verify=1&command=/usr/bin/tapestry")
        #expect(t.user == "ops" && t.host == "host1.example" && t.port == 2222)
        #expect(t.socket == "/run/tapestry/tapestryd.sock" && t.keyFile == "/k/id" && !t.verifyHostKey)
        let args = t.sshArguments(ssh: "ssh")
        #expect(args.starts(with: ["ssh", "-p", "2222", "-i", "/k/id"]))
        #expect(args.contains("ops@host1.example"))
        #expect(args.last == "/usr/bin/tapestry proxy --socket /run/tapestry/tapestryd.sock")
    }

    @Test func shortForms() throws {
        let t = try ConnectTarget(parsing: "ssh://host")
        #expect(t.user == nil && t.port == nil && t.socket == nil && t.verifyHostKey)
        #expect(t.sshArguments(ssh: "ssh").last == "tapestry proxy")
        let v6 = try ConnectTarget(parsing: "ssh://root@[fd00::2]:22/")
        #expect(v6.host == "fd00::2" && v6.port == 22 && v6.socket == nil)
        let verb = try ConnectTarget(parsing: "ssh://h/s p.sock").sshArguments(ssh: "ssh -F cfg", proxyArguments: ["--", "capture", "br0", "--filter", "icmp or arp"])
        #expect(verb.first == "ssh" && verb[1] == "-F" && verb[2] == "cfg")
        #expect(verb.last == "tapestry proxy --socket '/s p.sock' -- capture br0 --filter 'icmp or arp'")
    }

    @Test func badURLsSayWhy() {
        let cases = [("qemu+ssh://h", "only ssh"), ("ssh://", "no host"), ("ssh://h:99999", "out of range"),
                     ("ssh://h:x", "bad port"), ("ssh://-oProxyCommand=x", "bad host"), ("ssh://h?color=1", "unknown parameter"),
                     ("ssh://a b@h", "bad user"), ("/run/x.sock", "no scheme"), ("ssh://h?command=tapestry", "absolute path")]
        for (url, why) in cases {
            do {
                _ = try ConnectTarget(parsing: url)
                Issue.record("accepted \(url)")
            } catch {
                #expect(error.description.contains(why), "\(url): \(error)")
            }
        }
    }
}
