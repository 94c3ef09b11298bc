import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry doctor`: a healthy host says so and exits 0; a tap deleted behind the daemon's back,
/// a missing dnsmasq and a daemon of another version are each reported with a fix, exit 1.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct DoctorTests {
    static var tapestry: String { NetnsWorld.binDirectory + "/tapestry" }

    @Test func healthyThenEachProblemWithItsFix() throws {
        let world = NetnsWorld("doc")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm = world.namespace("vm1")
        try #require(d.cli("add-port", "br0", "vm1", "--type", "tap", "--netns", vm).ok)
        try #require(world.exec(vm, "ip addr add 10.83.0.1/24 dev vm1 && ip link set vm1 up").ok)
        #expect(d.cli("add-port", "br0", "gw0", "--type", "internal").ok)
        #expect(world.exec(host, "ip link set gw0 up").ok)

        // Healthy.
        let healthy = d.cli("doctor")
        #expect(healthy.status == 0 && healthy.stdout.contains("all is well") && !healthy.stdout.contains("[FAIL]"), "healthy host: \(healthy)")
        #expect(healthy.stdout.contains("[ ok ] port br0/vm1: netdev: vm1 present in namespace \(vm)"), "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[ ok ] helpers: dnsmasq:"), "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[ ok ] daemon: version:"), "\(healthy.stdout)")
        let json = d.cli("--format", "json", "doctor")
        struct Report: Decodable { var healthy: Bool; var findings: [Finding] }
        struct Finding: Decodable { var area: String; var check: String; var status: String; var fix: String? }
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(json.status == 0 && report.healthy)
        for check in ["tun/tap", "vnet headers", "AF_PACKET", "namespaces", "nftables"] {
            #expect(report.findings.contains { $0.area == "kernel" && $0.check == check && $0.status == "ok" }, "kernel check \(check): \(report.findings)")
        }

        // A missing dnsmasq: a PATH with the other helpers only.
        let bin = "\(world.tempDirectory)/bin"
        try #require(Shell.run("mkdir -p \(bin) && for p in ip nft radvd ethtool nsenter; do ln -s \"$(command -v $p)\" \(bin)/$p; done").ok)
        let noDnsmasq = world.exec(host, "PATH=\(bin) \(Self.tapestry) --socket \(d.socket) doctor")
        #expect(noDnsmasq.status == 1 && noDnsmasq.stdout.contains("[FAIL] helpers: dnsmasq: dnsmasq not found in PATH")
                && noDnsmasq.stdout.contains("fix: apt install dnsmasq-base"), "missing dnsmasq: \(noDnsmasq)")

        // The tap deleted behind the daemon's back.
        try #require(world.exec(vm, "ip link del vm1").ok)
        let gone = d.cli("doctor")
        #expect(gone.status == 1 && gone.stdout.contains("[FAIL] port br0/vm1:"), "deleted netdev: \(gone)")
        #expect(gone.stdout.contains("fix: tapestry del-port br0 vm1"), "\(gone.stdout)")
        #expect(!gone.stdout.contains("[FAIL] port br0/gw0"), "only vm1 is broken: \(gone.stdout)")

        // A daemon of another version (an older tapestryd stand-in answering `version` and `show`).
        let sock = "\(world.tempDirectory)/old.sock"
        let script = "\(world.tempDirectory)/old-daemon.py"
        try """
            import json, os, socket
            s = socket.socket(socket.AF_UNIX); s.bind("\(sock)"); os.chmod("\(sock)", 0o660); s.listen(4)
            while True:
                c, _ = s.accept(); f = c.makefile("rwb")
                for line in f:
                    req = json.loads(line)
                    res = {"version": "0.0.1", "pid": os.getpid()} if req["method"] == "version" else {"generation": 1, "bridges": []}
                    f.write((json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": res}) + "\\n").encode()); f.flush()
                c.close()
            """.write(toFile: script, atomically: true, encoding: .utf8)
        _ = world.spawn(host, "exec python3 \(script)")
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: sock) { usleep(100_000) }
        let old = world.exec(host, "\(Self.tapestry) --socket \(sock) doctor")
        #expect(old.status == 1 && old.stdout.contains("[FAIL] daemon: version: tapestry is ") && old.stdout.contains("but tapestryd is 0.0.1")
                && old.stdout.contains("fix: install the same version of both"), "version mismatch: \(old)")
    }
}
