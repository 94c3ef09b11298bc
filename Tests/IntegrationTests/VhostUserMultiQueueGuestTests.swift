import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A QEMU guest (TCG, two CPUs) with two queue pairs on a vhost-user port of a tapestryd with two
/// datapath threads: QEMU's `-netdev vhost-user,queues=2` and `virtio-net-pci,mq=on,vectors=0`.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && TestGuest.isAvailable, "needs root, ip netns and qemu-system-x86"))
struct VhostUserMultiQueueGuestTests {
    /// The guest's driver enables both pairs (one per CPU; busybox has no ethtool, the kernel's
    /// default is min(pairs, CPUs)): tapestryd serves 2 receive and 2 transmit queues and the guest
    /// has tx-1/rx-1; pings sent from each guest CPU (by the driver's XPS map its own transmit queue,
    /// served by its own datapath thread) are all answered, and 16 MiB from a tap namespace arrive
    /// intact. The port's per-queue counters show each CPU's pings leaving on that CPU's transmit
    /// queue and (nearly all) the replies arriving on the receive queue of the same pair: the thread serving the
    /// pair writes the request into its own queue of the multi-queue tap, the tap's flow table sends the
    /// reply back on that queue, to the same thread, which gives it to receive queue k.
    @Test func guestWithTwoQueuePairsUsesBoth() throws {
        let world = NetnsWorld("vhmqg")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host, arguments: ["--datapath-threads", "2"])
        try #require(d.cli("add-br", "br0").ok)
        try #require(d.cli("add-port", "br0", "vq0", "--type", "vhost-user").ok)
        let vm = world.namespace("vm")
        try #require(world.exec(vm, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1").ok)
        try #require(d.cli("add-port", "br0", "t0", "--type", "tap", "--netns", vm).ok)
        try #require(world.exec(vm, "ip link set t0 up && ip addr add 10.79.0.3/24 dev t0").ok)
        let socket = try #require(try d.vhostStatus("vq0")).socketPath
        let guest = try GuestVM(world: world, namespace: host, name: "gq",
                                nics: [.vhostUser(socket: socket, mac: "52:54:00:79:02:01", queues: 2)],
                                network: .fixed("10.79.0.1/24", gateway: nil), extraArguments: ["-smp", "2"])
        defer { guest.stop() }
        try #require(guest.waitForConsole("tapestry-guest: static", timeout: 120) != nil,
                     "\(guest.consoleText)\n\(guest.qemuLogText)")
        let status = try #require(try d.waitVhostConnected("vq0", queues: 2, seconds: 30))
        #expect(status.receiveQueues == 2 && status.transmitQueues == 2 && status.features.contains("mq"),
                "\(status); qemu:\n\(guest.qemuLogText)")
        let queues = guest.run("nproc; ls /sys/class/net/eth0/queues", timeout: 20)
        #expect(queues.ok && queues.stdout.contains("tx-1") && queues.stdout.contains("rx-1"), "\(queues)")

        let before = threadRunNanoseconds(d.pid)
        for (pair, mask) in ["1", "2"].enumerated() {  // CPU 0, CPU 1: transmit queue 0, 1 (the driver's XPS map)
            let q0 = try d.vhostQueues("br0", "vq0")
            let ping = guest.run("taskset \(mask) ping -c 20 -i 0.2 -W 1 10.79.0.3", timeout: 40)
            #expect(ping.ok && ping.stdout.contains(" 0% packet loss"), "CPU mask \(mask): \(ping)")
            let q1 = try d.vhostQueues("br0", "vq0")
            try #require(q0.count == 2 && q1.count == 2, "per-queue counters: \(q0) → \(q1)")
            let rx = q1[pair].rxPackets - q0[pair].rxPackets, tx = q1[pair].txPackets - q0[pair].txPackets
            let txAll = q1.reduce(0) { $0 + $1.txPackets } - q0.reduce(0) { $0 + $1.txPackets }
            // The 20 echo requests leave on the guest's transmit queue `pair` (XPS); the replies come
            // back on its receive queue `pair`, all but the first one or two (sent before the tap's
            // flow table learned the flow's queue: seen 19 of 20 once).
            #expect(rx >= 20 && tx >= 15 && txAll >= 20,
                    "CPU mask \(mask): queue pair \(pair) carried rx \(rx) tx \(tx) (all pairs tx \(txAll)); \(q0) → \(q1)")
        }
        let after = threadRunNanoseconds(d.pid)
        let dp0 = (after["tapestry-dp0"] ?? 0) - (before["tapestry-dp0"] ?? 0)
        let dp1 = (after["tapestry-dp1"] ?? 0) - (before["tapestry-dp1"] ?? 0)
        // (Printed, not asserted: idle threads also run; the queue counters above say which queue worked.)
        print("guest with 2 queue pairs: pings from both CPUs; tapestry-dp0 \(dp0), tapestry-dp1 \(dp1) (schedstat ns)")

        // 16 MiB from the tap namespace into the guest (busybox nc keeps only the digest).
        let blob = world.tempDirectory + "/blob"
        try #require(world.exec(vm, "head -c \(16 << 20) /dev/urandom >\(blob)").ok)
        let sum = String(world.exec(vm, "sha256sum \(blob)").stdout.prefix(64))
        try #require(guest.run("sleep 600 | nc -l -p 5003 2>/tmp/nc.err | sha256sum >/tmp/rx.sum &", timeout: 10).ok)
        usleep(500_000)
        let push = world.exec(vm, "timeout 200 bash -c 'cat \(blob) >/dev/tcp/10.79.0.1/5003'", timeout: 210)
        #expect(push.ok, "\(push)")
        let received = VhostUserGuestTests.receivedSum(guest, "/tmp/rx.sum")
        #expect(sum.count == 64 && received.hasPrefix(sum), "sent \(sum), received \(received)")
        let c = try d.counters("br0", "vq0")
        #expect(c.txBytes >= 16 << 20, "\(c)")
    }
}

/// Time each thread of a process has run (/proc/PID/task/TID/schedstat, nanoseconds), by thread name.
private func threadRunNanoseconds(_ pid: Int32) -> [String: Int] {
    var out: [String: Int] = [:]
    for tid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8),
              let sched = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/schedstat", encoding: .utf8),
              let first = sched.split(separator: " ").first, let ns = Int(first) else { continue }
        out[comm.trimmingCharacters(in: .whitespacesAndNewlines), default: 0] += ns
    }
    return out
}
