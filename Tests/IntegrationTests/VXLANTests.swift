import ControlProtocol
import Foundation
import TestSupport
import Testing

/// VXLAN tunnels between simulated hosts: namespaces joined by a veth underlay, a tapestryd in
/// each host, VMs on tap ports. All traffic stays inside the namespaces.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct VXLANTests {
    /// Hosts on one underlay segment 10.0.0.0/24 (a hub namespace bridges them with the kernel bridge).
    struct Lab {
        let world: NetnsWorld
        var hosts: [String] = []
        var daemons: [NetnsWorld.Daemon] = []
        var vms: [String] = []

        /// `ipv6`: each host also gets 2001:db8::<i>/64 on its underlay link.
        init(_ tag: String, hosts count: Int, ipv6: Bool = false) throws {
            world = NetnsWorld(tag)
            let underlay = world.namespace("ul")
            world.exec(underlay, "ip link add ul type bridge && ip link set ul up")
            for i in 1...count {
                let h = world.namespace("h\(i)")
                world.veth("u\(i)", in: underlay, "eth0", in: h)
                world.exec(underlay, "ip link set u\(i) master ul")
                world.exec(h, "ip addr add 10.0.0.\(i)/24 dev eth0")
                if ipv6 { world.exec(h, "ip addr add 2001:db8::\(i)/64 dev eth0 nodad") }
                hosts.append(h)
                daemons.append(try world.startDaemon(in: h, name: "d\(i)"))
            }
        }

        /// A 2 s iperf3 TCP transfer from `a` to `b` and one back; each must complete.
        func expectTCPBothWays(_ a: String, _ aAddress: String, _ b: String, _ bAddress: String) {
            for (client, server, address) in [(a, b, bAddress), (b, a, aAddress)] {
                let pid = world.spawn(server, "exec timeout 20 iperf3 -s -1")
                usleep(400_000)
                let tcp = world.exec(client, "iperf3 -c \(address) -t 2 -J", timeout: 20)
                #expect(tcp.ok && tcp.stdout.contains("\"bits_per_second\""), "iperf3 to \(address): \(tcp)")
                kill(pid, SIGKILL)
            }
        }

        /// Adds VM `vm<i>` on `bridge` of host `host` (1-based) with address 192.168.42.<i>.
        mutating func addVM(_ i: Int, host: Int, bridge: String = "br0", subnet: String = "192.168.42", mtu: Int = 1450) {
            let vm = world.namespace("vm\(i)")
            let add = daemons[host - 1].cli("add-port", bridge, "vm\(i)", "--type", "tap", "--netns", vm, "--mtu", String(mtu))
            #expect(add.ok, "\(add)")
            world.exec(vm, "ip addr add \(subnet).\(i)/24 dev vm\(i)")
            vms.append(vm)
        }

        func vxlan(host: Int, bridge: String = "br0", name: String = "vx42", vni: Int = 42, remotes: [Int]) {
            var args = ["add-port", bridge, name, "--type", "vxlan", "--vni", String(vni)]
            for r in remotes { args += ["--remote", "10.0.0.\(r)"] }
            let out = daemons[host - 1].cli(args)
            #expect(out.ok, "\(out)")
        }
    }

    @Test func twoHostsShareASegment() throws {
        var lab = try Lab("vx2", hosts: 2)
        defer { lab.world.close() }
        for (i, d) in lab.daemons.enumerated() { #expect(d.cli("add-br", "br0").ok); lab.addVM(i + 1, host: i + 1) }
        lab.vxlan(host: 1, remotes: [2])
        lab.vxlan(host: 2, remotes: [1])
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))

        // Host A learned VM2's MAC behind VTEP 10.0.0.2.
        let mac2 = lab.world.exec(lab.vms[1], "cat /sys/class/net/vm2/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let fdb = try lab.daemons[0].json(FDBShowResult.self, "fdb-show", "br0")
        #expect(fdb.entries.contains { $0.mac.description == mac2 && $0.port == "vx42" && $0.remote?.description == "10.0.0.2" }, "\(fdb.entries)")

        // A bounded TCP transfer through the tunnel, checked end to end.
        let server = lab.world.spawn(lab.vms[1], "exec timeout 20 iperf3 -s -1")
        usleep(400_000)
        let tcp = lab.world.exec(lab.vms[0], "iperf3 -c 192.168.42.2 -t 2 -J", timeout: 20)
        #expect(tcp.ok, "\(tcp)")
        #expect(tcp.stdout.contains("\"bits_per_second\""))
        kill(server, SIGKILL)
        let stats = try lab.daemons[0].json(StatsResult.self, "stats", "br0", "vx42").ports[0]
        #expect(stats.txPackets > 1000 && stats.rxPackets > 100, "\(stats)")
    }

    @Test func threeHostMeshReplicatesFloodsButNotUnicast() throws {
        var lab = try Lab("vx3", hosts: 3)
        defer { lab.world.close() }
        for (i, d) in lab.daemons.enumerated() { #expect(d.cli("add-br", "br0").ok); lab.addVM(i + 1, host: i + 1) }
        lab.vxlan(host: 1, remotes: [2, 3])
        lab.vxlan(host: 2, remotes: [1, 3])
        lab.vxlan(host: 3, remotes: [1, 2])
        // Broadcast (ARP) reaches both other hosts.
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.3"))
        #expect(lab.world.ping(from: lab.vms[1], "192.168.42.3"))
        // A learned unicast stream vm1 → vm2 never reaches host 3's VM.
        let seen = lab.world.capture(lab.vms[2], "vm3", filter: "icmp") {
            #expect(lab.world.exec(lab.vms[0], "ping -c 30 -i 0.02 -W 1 192.168.42.2").ok)
        }
        #expect(seen.isEmpty, "vm3 saw vm1→vm2 unicast: \(seen.prefix(3))")
    }

    @Test func differentVNIsNeverSeeEachOther() throws {
        var lab = try Lab("vxi", hosts: 2)
        defer { lab.world.close() }
        for d in lab.daemons { #expect(d.cli("add-br", "br0").ok); #expect(d.cli("add-br", "br1").ok) }
        lab.addVM(1, host: 1, bridge: "br0"); lab.addVM(2, host: 2, bridge: "br0")
        lab.addVM(3, host: 1, bridge: "br1"); lab.addVM(4, host: 2, bridge: "br1")
        lab.vxlan(host: 1, bridge: "br0", name: "vx42", vni: 42, remotes: [2])
        lab.vxlan(host: 2, bridge: "br0", name: "vx42", vni: 42, remotes: [1])
        lab.vxlan(host: 1, bridge: "br1", name: "vx43", vni: 43, remotes: [2])
        lab.vxlan(host: 2, bridge: "br1", name: "vx43", vni: 43, remotes: [1])
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
        #expect(lab.world.ping(from: lab.vms[2], "192.168.42.4"))
        // Same subnet, other VNI: vm1 cannot reach vm4, and vm4 never sees vm1's frames.
        let seen = lab.world.capture(lab.vms[3], "vm4", filter: "ether host \(mac(lab, 0, "vm1"))") {
            #expect(!lab.world.ping(from: lab.vms[0], "192.168.42.4", count: 2))
        }
        #expect(seen.isEmpty, "VNI 43 saw VNI 42 frames: \(seen.prefix(3))")
    }

    @Test func interoperatesWithLinuxKernelVXLAN() throws {
        var lab = try Lab("vxk", hosts: 2)
        defer { lab.world.close() }
        #expect(lab.daemons[0].cli("add-br", "br0").ok)
        lab.addVM(1, host: 1)
        lab.vxlan(host: 1, remotes: [2])
        // Host 2 is the Linux kernel: a vxlan device enslaved to a kernel bridge with a veth to a VM.
        lab.daemons[1].stop()
        let h2 = lab.hosts[1]
        let vm2 = lab.world.namespace("kvm2")
        #expect(lab.world.exec(h2, """
            ip link add kbr type bridge && ip link set kbr up && \
            ip link add vx42 type vxlan id 42 remote 10.0.0.1 local 10.0.0.2 dstport 4789 && \
            ip link set vx42 master kbr && ip link set vx42 up
            """).ok)
        lab.world.veth("kv", in: h2, "eth0", in: vm2)
        lab.world.exec(h2, "ip link set kv master kbr")
        lab.world.exec(vm2, "ip link set eth0 mtu 1450 && ip addr add 192.168.42.2/24 dev eth0")

        let wire = lab.world.capture(h2, "eth0", filter: "udp port 4789") {
            #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
            #expect(lab.world.ping(from: vm2, "192.168.42.1"))
        }
        #expect(wire.contains { $0.contains("VXLAN") && $0.contains("vni 42") }, "no VXLAN vni 42 on the wire: \(wire.prefix(4))")

        lab.expectTCPBothWays(lab.vms[0], "192.168.42.1", vm2, "192.168.42.2")
    }

    @Test func malformedTunnelPacketsAreCountedAndDropped() throws {
        var lab = try Lab("vxb", hosts: 2)
        defer { lab.world.close() }
        for (i, d) in lab.daemons.enumerated() { #expect(d.cli("add-br", "br0").ok); lab.addVM(i + 1, host: i + 1) }
        lab.vxlan(host: 1, remotes: [2])
        lab.vxlan(host: 2, remotes: [1])
        // Sent from host 2's underlay address to host 1's VXLAN port, bypassing host 2's daemon.
        let script = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("10.0.0.2", 0))
            d = ("10.0.0.1", 4789)
            s.sendto(b"\\x08\\x00\\x00", d)                                   # truncated header
            s.sendto(b"\\x00\\x00\\x00\\x00\\x00\\x00\\x2a\\x00" + b"\\xff" * 60, d)   # I flag missing
            s.sendto(b"\\x08\\x00\\x00\\x00\\x00\\x00\\x63\\x00" + b"\\xff" * 60, d)   # unknown VNI 99
            s.sendto(b"\\x08\\x00\\x00\\x00\\x00\\x00\\x2a\\x00" + b"\\x01" * 10, d)   # runt inner frame
            """
        let path = lab.world.tempDirectory + "/bad-vxlan.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(lab.world.exec(lab.hosts[1], "python3 \(path)").ok)
        usleep(300_000)
        let drops = try lab.daemons[0].json(StatsResult.self, "stats", "br0", "vx42").ports[0].drops
        #expect(drops["tunnel-vxlan-bad-header"] == 2, "\(drops)")
        #expect(drops["tunnel-vxlan-unknown-vni"] == 1, "\(drops)")
        #expect(drops["runt"] == 1, "\(drops)")
        #expect(lab.daemons[0].isAlive)
        #expect(lab.world.ping(from: lab.vms[0], "192.168.42.2"))
    }

    func mac(_ lab: Lab, _ vm: Int, _ dev: String) -> String {
        lab.world.exec(lab.vms[vm], "cat /sys/class/net/\(dev)/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
