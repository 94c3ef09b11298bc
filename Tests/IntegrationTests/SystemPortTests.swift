import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A veth end in the daemon's namespace attached as a system port (AF_PACKET).
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct SystemPortTests {
    @Test func vethSystemPortSwitchesAndIsLeftInPlaceOnDelete() throws {
        let world = NetnsWorld("sys")
        defer { world.close() }
        let host = world.namespace("host")
        let peer = world.namespace("peer")
        world.veth("sys0", in: host, "eth0", in: peer)
        #expect(world.exec(peer, "ip addr add 10.56.0.9/24 dev eth0").ok)
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let add = d.cli("add-port", "br0", "sys0", "--type", "system")
        #expect(add.ok, "\(add)")
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.56.0.1/24")

        let status = try d.json(ShowResult.self, "show", "br0").bridges[0].ports.first { $0.config.name == "sys0" }
        #expect(status?.state == "up", "system port status: \(String(describing: status))")
        #expect(world.ping(from: peer, "10.56.0.1"), "veth peer cannot reach the tap VM")
        #expect(world.ping(from: vm1, "10.56.0.9"), "tap VM cannot reach the veth peer")
        #expect(try d.counters("br0", "sys0").rxPackets >= 3)

        let ifindex = world.exec(host, "cat /sys/class/net/sys0/ifindex").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let del = d.cli("del-port", "br0", "sys0")
        #expect(del.ok, "\(del)")
        // The daemon never deletes a netdev it did not create: the same veth is still there, still up.
        let after = world.exec(host, "cat /sys/class/net/sys0/ifindex")
        #expect(after.ok, "del-port removed the system port's netdev")
        #expect(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ifindex)
        #expect(world.exec(host, "ip link show sys0 | grep -q ',UP'").ok, "sys0 was taken down")
        #expect(world.exec(peer, "ip link show eth0").ok, "the veth pair is gone")
        // Detached: the promiscuous membership went with the AF_PACKET socket, and no frames pass.
        let promisc = world.exec(host, "ip -d link show sys0").stdout
        #expect(promisc.contains("promiscuity 0"), "sys0 still promiscuous after del-port: \(promisc)")
        #expect(!world.ping(from: peer, "10.56.0.1", count: 2, wait: 0.5), "frames still switched after del-port")

        // Attaching it again works (the netdev was left usable).
        #expect(d.cli("add-port", "br0", "sys0", "--type", "system").ok)
        #expect(world.ping(from: peer, "10.56.0.1"))

        // A crash and restart re-attaches it; a clean stop detaches it and still leaves the netdev.
        d.kill9()
        try d.start()
        #expect(world.ping(from: peer, "10.56.0.1"), "system port not re-attached after restart")
        d.stop()
        #expect(world.exec(host, "ip link show sys0").ok, "SIGTERM removed the system port's netdev")
        #expect(world.exec(host, "ip -d link show sys0").stdout.contains("promiscuity 0"), "sys0 left promiscuous after stop")
        #expect(!world.exec(vm1, "ip link show vm1").ok, "the daemon's own tap survived SIGTERM")
    }

    /// A tap or internal port whose name is taken by a netdev Tapestry did not create (a veth, a
    /// QEMU-style persistent tap) is refused, and that netdev is left exactly as it was.
    @Test func foreignNetdevsAreNeverTakenOver() throws {
        let world = NetnsWorld("foreign")
        defer { world.close() }
        let host = world.namespace("host")
        let vm = world.namespace("vm")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        #expect(world.exec(host, "ip link add vx1 type veth peer name vx1p && ip tuntap add dev qtap0 mode tap").ok)
        #expect(world.exec(vm, "ip tuntap add dev qtap1 mode tap").ok)
        let before = try d.configView()
        let ifindexes = world.exec(host, "cat /sys/class/net/vx1/ifindex /sys/class/net/qtap0/ifindex").stdout

        for args in [["add-port", "br0", "vx1", "--type", "internal"],
                     ["add-port", "br0", "qtap0", "--type", "internal"],
                     ["add-port", "br0", "qtap1", "--type", "tap", "--netns", vm]] {
            let out = d.cli(args)
            #expect(out.status == 1 && out.stderr.hasPrefix("could not "), "`\(args.joined(separator: " "))`: \(out)")
        }
        #expect(try d.configView() == before)
        #expect(world.exec(host, "cat /sys/class/net/vx1/ifindex /sys/class/net/qtap0/ifindex").stdout == ifindexes,
                "a foreign netdev was replaced or removed")
        #expect(world.exec(vm, "ip link show qtap1").ok, "the foreign tap in the VM namespace was removed")
        // A clean stop leaves them too.
        d.stop()
        #expect(world.exec(host, "ip link show vx1 && ip link show qtap0").ok)
        #expect(world.exec(vm, "ip link show qtap1").ok)
    }
}
