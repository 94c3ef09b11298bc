import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry capture` keeps its word: it ends with a clear message when its port is deleted or
/// tapestryd restarts, instead of waiting forever; with `--follow` it waits and captures again.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct CaptureEndTests {
    static var tapestry: String { NetnsWorld.binDirectory + "/tapestry" }

    /// Starts a capture in the background in `ns`; returns the files its stdout, stderr and exit status go to.
    func startCapture(_ world: NetnsWorld, _ ns: String, _ socket: String, _ args: String, name: String) -> String {
        let base = "\(world.tempDirectory)/\(name)"
        Shell.run("(ip netns exec \(ns) timeout 60 \(Self.tapestry) --socket \(socket) capture \(args) > \(base).out 2> \(base).err; echo $? > \(base).rc) >/dev/null 2>&1 &")
        usleep(1_500_000)
        return base
    }

    func waitExit(_ base: String, seconds: Double) -> (rc: Int32?, out: String, err: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !FileManager.default.fileExists(atPath: base + ".rc") { usleep(100_000) }
        usleep(100_000)
        let read = { (ext: String) in (try? String(contentsOfFile: base + ext, encoding: .utf8)) ?? "" }
        return (Int32(read(".rc").trimmingCharacters(in: .whitespacesAndNewlines)), read(".out"), read(".err"))
    }

    @Test func endsOnPortDeletionAndDaemonRestartFollowReattaches() throws {
        let world = NetnsWorld("cap")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        var vms: [String: String] = [:]
        for (i, name) in ["vm1", "vm2", "vm3"].enumerated() {
            let ns = world.namespace(name)
            vms[name] = ns
            try #require(d.cli("add-port", "br0", name, "--type", "tap", "--netns", ns).ok)
            try #require(world.exec(ns, "ip addr add 10.84.0.\(i + 1)/24 dev \(name) && ip link set \(name) up").ok)
        }
        // The capture sees traffic first (so "it ended" is not "it never worked").
        let c1 = startCapture(world, host, d.socket, "br0 vm1 --filter icmp", name: "c1")
        #expect(world.ping(from: vms["vm1"]!, "10.84.0.2", count: 2))
        usleep(500_000)
        #expect(FileManager.default.fileExists(atPath: c1 + ".rc") == false, "the capture ended early: \(waitExit(c1, seconds: 0))")
        // Deleting its port ends it, with the reason.
        #expect(d.cli("del-port", "br0", "vm1").ok)
        let r1 = waitExit(c1, seconds: 10)
        #expect(r1.rc == 1, "capture after del-port: rc \(String(describing: r1.rc)) err \(r1.err)")
        #expect(r1.err.contains("capture ended: port vm1 was deleted from bridge br0"), "\(r1.err)")
        #expect(r1.out.split(separator: "\n").count >= 2 && r1.err.contains("frames captured"), "it saw the pings first: \(r1)")

        // A daemon restart ends it too.
        let c2 = startCapture(world, host, d.socket, "br0 vm2", name: "c2")
        d.kill9()
        try d.start()
        let r2 = waitExit(c2, seconds: 10)
        #expect(r2.rc == 1 && r2.err.contains("capture ended: tapestryd"), "capture across a daemon restart: \(r2)")

        // --follow: the port goes and comes back; the capture waits, starts again and reaches its count.
        let c3 = startCapture(world, host, d.socket, "br0 vm3 --filter icmp --follow -c 2", name: "c3")
        #expect(d.cli("del-port", "br0", "vm3").ok)
        usleep(2_500_000)
        #expect(!FileManager.default.fileExists(atPath: c3 + ".rc"), "--follow must wait for the port: \(waitExit(c3, seconds: 0))")
        try #require(d.cli("add-port", "br0", "vm3", "--type", "tap", "--netns", vms["vm3"]!).ok)
        try #require(world.exec(vms["vm3"]!, "ip addr add 10.84.0.3/24 dev vm3; ip link set vm3 up").ok)
        usleep(2_000_000)
        #expect(world.ping(from: vms["vm2"]!, "10.84.0.3", count: 4))
        let r3 = waitExit(c3, seconds: 15)
        #expect(r3.rc == 0 && r3.out.split(separator: "\n").count == 2, "capture --follow: \(r3)")
        #expect(r3.err.contains("waiting for it to come back") && r3.err.contains("vm3 is back"), "\(r3.err)")
    }
}
