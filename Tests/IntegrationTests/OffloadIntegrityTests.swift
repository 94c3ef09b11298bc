import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Large TCP transfers with offloads on (64 KiB GSO super-frames from the taps), checked end to
/// end with SHA-256: tap↔tap, tap↔system port, VLAN tag push/pop on super-frames across a
/// trunk, and tap↔VXLAN↔tap where the tunnel port cannot take offloads (software segmentation).
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct OffloadIntegrityTests {
    static let bytes = 64 << 20

    /// Python: a server that receives `bytes` and prints their SHA-256; a client that sends a seeded stream.
    static let script = """
        import hashlib, os, random, socket, sys
        mode, addr, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
        if mode == "serve":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, 5201)); s.listen(1); s.settimeout(30)
            c, _ = s.accept(); c.settimeout(30); h = hashlib.sha256(); got = 0
            while got < n:
                b = c.recv(1 << 20)
                if not b: break
                h.update(b); got += len(b)
            print(got, h.hexdigest())
        else:
            rng = random.Random(7); h = hashlib.sha256(); c = socket.create_connection((addr, 5201), timeout=30)
            left = n
            while left:
                b = rng.randbytes(min(left, 1 << 20)); h.update(b); c.sendall(b); left -= len(b)
            c.close(); print(n, h.hexdigest())
        """

    /// Sends 64 MiB from `client` to `server` (listening on `address`) and expects equal digests.
    func transfer(_ world: NetnsWorld, from client: String, to server: String, address: String) throws {
        let path = world.tempDirectory + "/xfer.py"
        try OffloadIntegrityTests.script.write(toFile: path, atomically: true, encoding: .utf8)
        let out = world.tempDirectory + "/xfer-\(UUID().uuidString).txt"
        let pid = world.spawn(server, "exec timeout 60 python3 \(path) serve \(address) \(OffloadIntegrityTests.bytes) > \(out)")
        usleep(500_000)
        let sent = world.exec(client, "python3 \(path) send \(address) \(OffloadIntegrityTests.bytes)", timeout: 60)
        #expect(sent.ok, "sender: \(sent)")
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(100_000) }
        let received = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!expected.isEmpty && received == expected, "digest mismatch: sent \(expected), received \(received)")
    }

    @Test func tapToTap() throws {
        let world = NetnsWorld("offt")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = world.namespace("vm1"), vm2 = world.namespace("vm2")
        #expect(d.cli("add-port", "br0", "vm1", "--netns", vm1).ok)
        #expect(d.cli("add-port", "br0", "vm2", "--netns", vm2).ok)
        world.exec(vm1, "ip addr add 10.60.0.1/24 dev vm1")
        world.exec(vm2, "ip addr add 10.60.0.2/24 dev vm2")
        #expect(world.exec(vm1, "ethtool -k vm1 | grep -q 'tcp-segmentation-offload: on'").ok, "tap offloads are off")
        try transfer(world, from: vm1, to: vm2, address: "10.60.0.2")
        try transfer(world, from: vm2, to: vm1, address: "10.60.0.1")
    }

    @Test func tapToSystemPortAndVLANOnSuperFrames() throws {
        let world = NetnsWorld("offs")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = world.namespace("vm1"), peer = world.namespace("peer")
        // The tap is an access port of VLAN 10; the system port is a trunk: frames leave it tagged.
        #expect(d.cli("add-port", "br0", "vm1", "--netns", vm1, "--vlan", "10").ok)
        world.veth("up0", in: host, "eth0", in: peer)
        #expect(d.cli("add-port", "br0", "up0", "--type", "system", "--trunk", "10").ok)
        // The peer has no 802.1Q device here: a second Tapestry bridge in the peer pops the tag again.
        let d2 = try world.startDaemon(in: peer, name: "peer")
        let vm2 = world.namespace("vm2")
        #expect(d2.cli("add-br", "br0").ok)
        #expect(d2.cli("add-port", "br0", "eth0", "--type", "system", "--trunk", "10").ok)
        #expect(d2.cli("add-port", "br0", "vm2", "--netns", vm2, "--vlan", "10").ok)
        world.exec(vm1, "ip addr add 10.61.0.1/24 dev vm1")
        world.exec(vm2, "ip addr add 10.61.0.2/24 dev vm2")
        #expect(world.ping(from: vm1, "10.61.0.2"))
        try transfer(world, from: vm1, to: vm2, address: "10.61.0.2")
        try transfer(world, from: vm2, to: vm1, address: "10.61.0.1")
    }

    @Test func tapToVXLANToTap() throws {
        let world = NetnsWorld("offv")
        defer { world.close() }
        let a = world.namespace("a"), b = world.namespace("b")
        world.veth("eth0", in: a, "eth0", in: b)
        world.exec(a, "ip addr add 10.0.0.1/24 dev eth0")
        world.exec(b, "ip addr add 10.0.0.2/24 dev eth0")
        let da = try world.startDaemon(in: a, name: "a"), db = try world.startDaemon(in: b, name: "b")
        let vm1 = world.namespace("vm1"), vm2 = world.namespace("vm2")
        for (d, vm, name, remote) in [(da, vm1, "vm1", "10.0.0.2"), (db, vm2, "vm2", "10.0.0.1")] {
            #expect(d.cli("add-br", "br0").ok)
            #expect(d.cli("add-port", "br0", name, "--netns", vm, "--mtu", "1450").ok)
            #expect(d.cli("add-port", "br0", "vx1", "--type", "vxlan", "--vni", "1", "--remote", remote).ok)
        }
        world.exec(vm1, "ip addr add 10.62.0.1/24 dev vm1")
        world.exec(vm2, "ip addr add 10.62.0.2/24 dev vm2")
        #expect(world.ping(from: vm1, "10.62.0.2"))
        try transfer(world, from: vm1, to: vm2, address: "10.62.0.2")
        try transfer(world, from: vm2, to: vm1, address: "10.62.0.1")
        let drops = try da.json(StatsResult.self, "stats", "br0", "vx1").ports[0].drops
        #expect(drops["unsupported-offload"] == nil && drops["too-big"] == nil, "\(drops)")
    }
}
