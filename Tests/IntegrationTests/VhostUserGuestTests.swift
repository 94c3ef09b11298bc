import ControlProtocol
import Foundation
import TestSupport
import Testing

/// QEMU guests (the project's test guest under TCG) on vhost-user ports: QEMU's vhost-user netdev
/// serves the guest's virtio-net rings to tapestryd over the port's socket, the guest's RAM a shared memfd.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && TestGuest.isAvailable, "needs root, ip netns and qemu-system-x86"))
struct VhostUserGuestTests {
    /// A guest on a vhost-user port of a NAT network takes its lease from the network's dnsmasq and
    /// pings its gateway and the wan; killed with SIGKILL it leaves nothing mapped or open in
    /// tapestryd, and a new guest on the same socket is served again.
    @Test
    func guestOnNATNetworkGetsLeasePingsAndSurvivesKill9OfQEMU() throws {
        let lab = try NetworkLab("vhguest")
        defer { lab.close() }
        let d = lab.daemon
        #expect(lab.define(networkXML("vnet", bridge: "vbr0", forward: "nat", subnet: "192.168.178")).ok)
        let start = d.cli("net-start", "vnet")
        try #require(start.ok, "\(start)")
        let add = d.cli("add-port", "--network", "vnet", "vg0", "--type", "vhost-user")
        try #require(add.ok, "\(add)")
        let socket = try #require(try d.vhostStatus("vg0")).socketPath
        let baseline = try DaemonResources(pid: d.pid)

        let mac = "52:54:00:78:00:01"
        let vm = try GuestVM(world: lab.world, namespace: lab.host, name: "vg1", nics: [.vhostUser(socket: socket, mac: mac)])
        defer { vm.stop() }
        let lease = try #require(vm.lease(timeout: 90),
                                 "no lease; console:\n\(vm.consoleText)\nqemu:\n\(vm.qemuLogText)\nlog:\n\(d.log.suffix(3000))")
        #expect(lease.address.hasPrefix("192.168.178.") && lease.router == "192.168.178.1", "\(lease)")
        let leases = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "vnet")
        #expect(leases.leases.contains { $0.ipAddress == lease.ip && $0.mac == mac }, "\(leases.leases)")
        let status = try #require(try d.waitVhostConnected("vg0"))
        #expect(status.connected && status.features.contains("version-1") && status.features.contains("mrg-rxbuf"), "\(status)")
        #expect(vm.ping("192.168.178.1"), "guest cannot ping its gateway; console:\n\(vm.consoleText)")
        #expect(vm.ping(NetworkLab.wanAddress), "guest cannot reach the wan through NAT")
        #expect(!vm.ping("192.168.178.254", count: 1), "an address nobody holds answered")
        let counters = try d.counters("vbr0", "vg0")
        #expect(counters.rxPackets > 0 && counters.txPackets > 0, "\(counters)")
        #expect(try DaemonResources(pid: d.pid).sharedMappings > 0, "the guest's memory is not mapped while it runs")

        // kill -9 QEMU: the connection ends, the guest's memory and the ring fds are let go.
        vm.kill9()
        let gone = try #require(try d.waitVhostDisconnected("vg0"))
        #expect(!gone.connected && gone.receiveQueues == 0 && gone.transmitQueues == 0, "\(gone)")
        let after = try DaemonResources(pid: d.pid)
        #expect(after.sharedMappings == 0, "guest memory still mapped after QEMU died")
        #expect(after.fds <= baseline.fds, "tapestryd holds \(after.fds) fds, \(baseline.fds) before the guest came")

        // A new guest on the same socket (a VM restarted) is served again.
        let again = try GuestVM(world: lab.world, namespace: lab.host, name: "vg2", nics: [.vhostUser(socket: socket, mac: mac)])
        defer { again.stop() }
        #expect(again.lease(timeout: 90) != nil, "second guest got no lease; console:\n\(again.consoleText)")
        #expect(try d.vhostStatus("vg0")?.connections == 2)
    }

    /// After kill -9 of QEMU, a new guest on the same socket and MAC pings its gateway.
    @Test
    func restartedGuestPingsItsGateway() throws {
        let lab = try NetworkLab("vhagain")
        defer { lab.close() }
        let d = lab.daemon
        #expect(lab.define(networkXML("vnet", bridge: "vbr0", forward: "nat", subnet: "192.168.179")).ok)
        try #require(d.cli("net-start", "vnet").ok)
        try #require(d.cli("add-port", "--network", "vnet", "vg0", "--type", "vhost-user").ok)
        let socket = try #require(try d.vhostStatus("vg0")).socketPath
        let mac = "52:54:00:79:00:01"
        let first = try GuestVM(world: lab.world, namespace: lab.host, name: "vr1", nics: [.vhostUser(socket: socket, mac: mac)])
        defer { first.stop() }
        try #require(first.lease(timeout: 90) != nil)
        first.kill9()
        let again = try GuestVM(world: lab.world, namespace: lab.host, name: "vr2", nics: [.vhostUser(socket: socket, mac: mac)])
        defer { again.stop() }
        try #require(again.lease(timeout: 90) != nil)
        let ping = again.run("ping -c 3 -W 1 192.168.179.1", timeout: 20)
        #expect(ping.ok, "\(ping)\nlog:\n\(d.log.suffix(2000))")
    }

    /// The sha256 line the receiving side of a transfer writes to `path` in `guest` (up to 30 s for it).
    static func receivedSum(_ guest: GuestVM, _ path: String) -> String {
        var text = ""
        let end = Date().addingTimeInterval(30)
        while Date() < end {
            text = guest.run("cat \(path) 2>/dev/null", timeout: 10).stdout
            if text.count >= 64 { break }
            sleep(1)
        }
        return text
    }

    /// Two guests on vhost-user ports of one bridge ping each other, and 64 MiB sent from one to the
    /// other over TCP (busybox nc, the guests' offloads on) arrive with the sender's sha256.
    @Test func twoGuestsPingEachOtherAndCarry64MiBIntact() throws {
        let world = NetnsWorld("vhpair")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        for p in ["va", "vb"] { try #require(d.cli("add-port", "br0", p, "--type", "vhost-user").ok, "add-port \(p)") }
        let a = try GuestVM(world: world, namespace: host, name: "ga",
                            nics: [.vhostUser(socket: try #require(try d.vhostStatus("va")).socketPath, mac: "52:54:00:78:01:01")],
                            network: .fixed("10.78.0.1/24", gateway: nil))
        defer { a.stop() }
        let b = try GuestVM(world: world, namespace: host, name: "gb",
                            nics: [.vhostUser(socket: try #require(try d.vhostStatus("vb")).socketPath, mac: "52:54:00:78:01:02")],
                            network: .fixed("10.78.0.2/24", gateway: nil))
        defer { b.stop() }
        for vm in [a, b] {
            #expect(vm.waitForConsole("tapestry-guest: static", timeout: 90) != nil, "\(vm.name):\n\(vm.consoleText)\n\(vm.qemuLogText)")
        }
        #expect(a.ping("10.78.0.2"), "ga cannot ping gb; log:\n\(d.log.suffix(2000))")
        #expect(b.ping("10.78.0.1"), "gb cannot ping ga")
        #expect(!a.ping("10.78.0.3", count: 1), "an address nobody holds answered")

        // 64 MiB of random bytes, made in ga's RAM, sent to gb where only the digest is kept.
        let made = a.run("dd if=/dev/urandom of=/tmp/blob bs=1M count=64 2>/dev/null && sha256sum /tmp/blob", timeout: 120)
        try #require(made.ok, "\(made)")
        let sent = String(made.stdout.prefix(64))
        // (nc ends the connection when its stdin ends: the receiver's stdin stays open.)
        let listen = b.run("sleep 600 | nc -l -p 5001 2>/tmp/nc.err | sha256sum >/tmp/rx.sum &", timeout: 10)
        try #require(listen.ok, "\(listen)")
        usleep(500_000)
        let began = Date()
        let send = a.run("nc -w 10 10.78.0.2 5001 </tmp/blob", timeout: 300)
        let seconds = Date().timeIntervalSince(began)
        #expect(send.ok, "nc in ga: \(send)")
        let received = Self.receivedSum(b, "/tmp/rx.sum")
        #expect(sent.count == 64 && received.hasPrefix(sent), "sent \(sent), received \(received)")
        print("vhost-user guest to guest: 64 MiB in \(String(format: "%.1f", seconds)) s "
              + "(\(String(format: "%.1f", 64 * 8 / max(seconds, 0.001))) Mbit/s under TCG)")
        let va = try d.counters("br0", "va"), vb = try d.counters("br0", "vb")
        #expect(va.rxBytes >= 64 << 20 && vb.txBytes >= 64 << 20, "va \(va), vb \(vb)")
        // The guests' TSO: TCP super-frames crossed the switch whole (fewer frames than 1448-byte segments).
        let status = try #require(try d.vhostStatus("va"))
        #expect(status.features.contains("host-tso4") && status.features.contains("guest-tso4"), "\(status.features)")
        print("va received \(va.rxPackets) frames, \(va.rxBytes) bytes")
        #expect(va.rxPackets < (64 << 20) / 1448, "no super-frames: \(va.rxPackets) frames for 64 MiB")

        // And from a tap namespace on the same bridge into ga: tap super-frames into the guest's rings.
        let vm = try world.tapVM(d, "br0", "t0", address: "10.78.0.3/24")
        let blob = world.tempDirectory + "/blob"
        try #require(world.exec(vm, "head -c \(64 << 20) /dev/urandom >\(blob)").ok)
        let tapSum = String(world.exec(vm, "sha256sum \(blob)").stdout.prefix(64))
        try #require(a.run("sleep 600 | nc -l -p 5002 2>/tmp/nc2.err | sha256sum >/tmp/rx2.sum &", timeout: 10).ok)
        usleep(500_000)
        let tapBegan = Date()
        let push = world.exec(vm, "timeout 300 bash -c 'cat \(blob) >/dev/tcp/10.78.0.1/5002'", timeout: 310)
        let tapSeconds = Date().timeIntervalSince(tapBegan)
        #expect(push.ok, "\(push)")
        let tapReceived = Self.receivedSum(a, "/tmp/rx2.sum")
        #expect(tapSum.count == 64 && tapReceived.hasPrefix(tapSum), "sent \(tapSum), received \(tapReceived)")
        let t0 = try d.counters("br0", "t0")
        print("tap to vhost-user guest: 64 MiB in \(String(format: "%.1f", tapSeconds)) s; t0 received \(t0.rxPackets) frames")
    }

    /// A vhost-user-client port: QEMU listens (server=on), tapestryd connects. tapestryd killed with
    /// SIGKILL and started again reconnects, and the guest's traffic flows again without restarting QEMU.
    @Test func clientPortGuestResumesAfterDaemonKill9() throws {
        let world = NetnsWorld("vhqcl")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        let vm = try world.tapVM(d, "br0", "t0", address: "10.79.0.1/24")
        let socket = world.tempDirectory + "/gc.sock"
        let guest = try GuestVM(world: world, namespace: host, name: "gc",
                                nics: [.vhostUser(socket: socket, mac: "52:54:00:79:00:02", server: true)],
                                network: .fixed("10.79.0.2/24", gateway: nil))
        defer { guest.stop() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(100_000) }
        let add = d.cli("add-port", "br0", "gc0", "--type", "vhost-user-client", "--socket-path", socket)
        try #require(add.ok, "\(add)")
        #expect(guest.waitForConsole("tapestry-guest: static", timeout: 90) != nil, "\(guest.consoleText)\n\(guest.qemuLogText)")
        #expect(guest.ping("10.79.0.1"), "guest cannot ping the tap namespace; log:\n\(d.log.suffix(2000))")

        d.kill9()
        #expect(!world.ping(from: vm, "10.79.0.2", count: 1), "the guest answered with the daemon dead")
        try d.start()
        let restart = Date()
        var answeredAfter: Double?
        while Date().timeIntervalSince(restart) < 20 {
            if world.ping(from: vm, "10.79.0.2", count: 1, wait: 0.5) { answeredAfter = Date().timeIntervalSince(restart); break }
        }
        let after = try #require(answeredAfter, "the guest did not answer within 20 s; log:\n\(d.log.suffix(3000))\nqemu:\n\(guest.qemuLogText)")
        print("vhost-user-client: guest answered \(String(format: "%.2f", after)) s after tapestryd answered again")
        #expect(after < 5, "the guest answered only after \(after) s")
        #expect(guest.isRunning, "QEMU had to be restarted")
        #expect(try d.vhostStatus("gc0")?.connected == true)
    }
}

/// What tapestryd holds: its open fds and its shared mappings of guest memory (memfds).
struct DaemonResources {
    let fds: Int
    let sharedMappings: Int

    init(pid: Int32) throws {
        guard pid > 0 else { throw TestWorldError("tapestryd is not running") }
        fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
        let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
        sharedMappings = maps.split(separator: "\n").filter { $0.contains("memfd:") }.count
    }
}
