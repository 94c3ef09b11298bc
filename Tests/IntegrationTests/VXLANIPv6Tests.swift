import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// VXLAN over an IPv6 underlay against Linux's own vxlan device: two simulated hosts on one
/// segment with 2001:db8::1 (Tapestry) and 2001:db8::2 (the kernel). All traffic stays inside
/// the namespaces.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct VXLANIPv6Tests {
    @Test func interoperatesWithLinuxKernelVXLANOverIPv6() throws {
        var lab = try VXLANTests.Lab("vx6", hosts: 2, ipv6: true)
        defer { lab.world.close() }
        let d1 = lab.daemons[0]
        #expect(d1.cli("add-br", "br0").ok)
        // 1500 on the underlay minus 70 (outer Ethernet, IPv6, UDP, VXLAN).
        lab.addVM(1, host: 1, mtu: 1430)

        // Bad input is refused with a clear error and changes nothing.
        let mixed = d1.cli("add-port", "br0", "vx42", "--type", "vxlan", "--vni", "42", "--remote", "2001:db8::2", "--local", "10.0.0.1")
        #expect(!mixed.ok && mixed.stderr.contains("one address family") && mixed.stderr.contains("2001:db8::2"), "\(mixed)")
        let malformed = d1.cli("add-port", "br0", "vx42", "--type", "vxlan", "--vni", "42", "--remote", "2001:db8::zz")
        #expect(!malformed.ok && malformed.stderr.contains("invalid --remote '2001:db8::zz'"), "\(malformed)")
        #expect(!d1.cli("show", "br0").stdout.contains("vx42"), "a refused port must not exist")

        let add = d1.cli("add-port", "br0", "vx42", "--type", "vxlan", "--vni", "42", "--remote", "2001:db8::2", "--local", "2001:db8::1")
        #expect(add.ok, "\(add)")
        // Host 2 is the Linux kernel: a vxlan device over IPv6 enslaved to a kernel bridge with a veth to a VM.
        lab.daemons[1].stop()
        let h2 = lab.hosts[1]
        let vm2 = lab.world.namespace("kvm2")
        try #require(lab.world.exec(h2, """
            ip link add kbr type bridge && ip link set kbr up && \
            ip link add vx42 type vxlan id 42 remote 2001:db8::1 local 2001:db8::2 dstport 4789 && \
            ip link set vx42 master kbr && ip link set vx42 up
            """).ok)
        lab.world.veth("kv", in: h2, "eth0", in: vm2)
        #expect(lab.world.exec(h2, "ip link set kv master kbr").ok)
        #expect(lab.world.exec(vm2, "ip link set eth0 mtu 1430 && ip addr add 192.168.42.2/24 dev eth0").ok)

        // Captures see incoming frames: host 2's eth0 sees what Tapestry sends, host 1's what the kernel sends.
        var fromKernel: [String] = []
        let wire = lab.world.capture(h2, "eth0", filter: "udp port 4789") {
            fromKernel = lab.world.capture(lab.hosts[0], "eth0", filter: "udp port 4789") {
                #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
                #expect(lab.world.ping(from: vm2, "192.168.42.1"))
            }
        }
        #expect(wire.contains { $0.contains(" 2001:db8::1.") && $0.contains("> 2001:db8::2.4789: VXLAN") && $0.contains("vni 42") },
                "no VXLAN vni 42 from 2001:db8::1 over IPv6 on the wire: \(wire.prefix(4))")
        #expect(fromKernel.contains { $0.contains(" 2001:db8::2.") && $0.contains("> 2001:db8::1.4789: VXLAN") && $0.contains("vni 42") },
                "no VXLAN vni 42 from the kernel: \(fromKernel.prefix(4))")

        // The kernel VM's MAC was learned behind the IPv6 remote.
        let vm2MAC = lab.world.exec(vm2, "cat /sys/class/net/eth0/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let fdb = try d1.json(FDBShowResult.self, "fdb-show", "br0")
        let entry = fdb.entries.first { $0.mac.description == vm2MAC }
        #expect(entry?.port == "vx42" && entry?.remote == IPAddress(strict: "2001:db8::2"), "\(fdb.entries)")
        let table = d1.cli("fdb-show", "br0").stdout
        #expect(table.split(separator: "\n").contains { $0.contains(vm2MAC) && $0.contains("vx42") && $0.hasSuffix("2001:db8::2") }, "\(table)")
        #expect(d1.cli("show", "br0").stdout.contains("remote 2001:db8::2"))
        let exported = d1.cli("export")
        #expect(exported.ok && exported.stdout.contains("\"2001:db8::2\"") && exported.stdout.contains("local: \"2001:db8::1\""), "\(exported)")

        // TCP with offloads both ways (the VMs' taps hand over TSO super-frames: UDP GSO over IPv6).
        lab.expectTCPBothWays(lab.vms[0], "192.168.42.1", vm2, "192.168.42.2")

        // A datagram from an IPv6 address that is no remote of the port is dropped and counted.
        #expect(lab.world.exec(h2, "ip addr add 2001:db8::3/64 dev eth0 nodad").ok)
        let script = """
            import socket
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.bind(("2001:db8::3", 0))
            s.sendto(b"\\x08\\x00\\x00\\x00\\x00\\x00\\x2a\\x00" + b"\\xff" * 6 + b"\\x02" * 6 + b"\\x08\\x00" + b"\\x00" * 46, ("2001:db8::1", 4789))
            """
        let path = lab.world.tempDirectory + "/stranger6.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(lab.world.exec(h2, "python3 \(path)").ok)
        usleep(300_000)
        let drops = try d1.json(StatsResult.self, "stats", "br0", "vx42").ports[0].drops
        #expect(drops["vxlan-unknown-remote"] == 1, "\(drops)")
        #expect(d1.isAlive)
    }
}
