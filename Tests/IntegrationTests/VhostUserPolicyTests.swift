import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Port policy on a vhost-user port, towards a QEMU guest (TCG): a delay shows in ping times and an
/// egress rate bounds a TCP transfer into the guest, exactly as on a tap port.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && TestGuest.isAvailable, "needs root, ip netns and qemu-system-x86"))
struct VhostUserPolicyTests {
    /// Sorted round-trip times (ms) of `count` pings from `ns`.
    func pingTimes(_ world: NetnsWorld, from ns: String, to address: String, count: Int) -> [Double] {
        let r = world.exec(ns, "ping -n -c \(count) -i 0.05 -W 1 \(address)", timeout: Double(count) * 0.1 + 30)
        return r.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "time=") else { return nil }
            return Double(line[range.upperBound...].split(separator: " ")[0])
        }.sorted()
    }

    @Test func delayAndEgressRateApplyTowardsTheGuest() throws {
        let world = NetnsWorld("vhpol")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        let vm = try world.tapVM(d, "br0", "t0", address: "10.80.0.1/24")
        try #require(d.cli("add-port", "br0", "vg", "--type", "vhost-user").ok)
        let guest = try GuestVM(world: world, namespace: host, name: "gp",
                                nics: [.vhostUser(socket: try #require(try d.vhostStatus("vg")).socketPath, mac: "52:54:00:80:00:02")],
                                network: .fixed("10.80.0.2/24", gateway: nil))
        defer { guest.stop() }
        try #require(guest.waitForConsole("tapestry-guest: static", timeout: 90) != nil, "\(guest.consoleText)\n\(guest.qemuLogText)")
        #expect(world.ping(from: vm, "10.80.0.2"), "the tap namespace cannot reach the guest")

        let plain = pingTimes(world, from: vm, to: "10.80.0.2", count: 20)
        try #require(plain.count >= 18, "pings without policy: \(plain)")
        let base = plain[plain.count / 2]
        #expect(d.cli("set-port", "br0", "vg", "--delay", "20ms").ok)
        let delayed = pingTimes(world, from: vm, to: "10.80.0.2", count: 20)
        try #require(delayed.count >= 18, "pings with a delay: \(delayed)")
        let p50 = delayed[delayed.count / 2]
        // Once per round trip: the request waits 20 ms on its way into the guest, the reply does not.
        #expect(p50 >= base + 19 && p50 <= base + 30, "p50 \(p50) ms with a 20 ms delay, \(base) ms without")
        #expect(d.cli("set-port", "br0", "vg", "--no-delay", "--egress-rate", "10mbit").ok)

        // 8 MiB from the tap namespace into the guest; timed until the guest has read all of it.
        let blob = world.tempDirectory + "/blob"
        try #require(world.exec(vm, "head -c \(8 << 20) /dev/urandom >\(blob)").ok)
        let sum = String(world.exec(vm, "sha256sum \(blob)").stdout.prefix(64))
        try #require(guest.run("sleep 600 | nc -l -p 5003 2>/dev/null | sha256sum >/tmp/rx.sum &", timeout: 10).ok)
        usleep(500_000)
        let began = Date()
        let sender = world.spawn(vm, "exec timeout 120 bash -c 'cat \(blob) >/dev/tcp/10.80.0.2/5003'")
        defer { if sender > 0 { kill(sender, SIGKILL) } }
        var received = ""
        while Date().timeIntervalSince(began) < 60 {
            received = guest.run("cat /tmp/rx.sum 2>/dev/null", timeout: 10).stdout
            if received.count >= 64 { break }
            usleep(200_000)
        }
        let seconds = Date().timeIntervalSince(began)
        #expect(received.hasPrefix(sum), "sent \(sum), received \(received)")
        let mbit = Double(8 << 20) * 8 / seconds / 1e6
        print("vhost-user port shaped to 10mbit: 8 MiB into the guest in \(String(format: "%.1f", seconds)) s = \(String(format: "%.1f", mbit)) Mbit/s")
        #expect(mbit >= 7 && mbit <= 11, "through a 10mbit egress rate: \(mbit) Mbit/s")
    }
}
