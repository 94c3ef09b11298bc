import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Port security through a real daemon and taps: spoofed MAC, ARP and IP sources never reach the
/// other VMs and are counted; a rogue DHCP server on a VM port serves nobody while a trusted one
/// does; a broadcast flood is cut to the port's storm limit.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct PortSecurityTests {
    @Test func spoofedSourcesNeverReachTheOthers() throws {
        let world = NetnsWorld("psec")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.61.0.1/24", ["--mac", "52:54:00:61:00:01"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.61.0.2/24")
        #expect(world.exec(vm1, "ip -6 addr add fd61::1/64 dev vm1 nodad && ip -6 addr add fd61::99/64 dev vm1 nodad").ok)
        #expect(world.exec(vm2, "ip -6 addr add fd61::2/64 dev vm2 nodad").ok)
        let set = d.cli("set-port", "br0", "vm1", "--allowed-address", "52:54:00:61:00:01,10.61.0.1,fd61::1")
        #expect(set.ok, "\(set)")
        let shown = d.cli("show", "br0").stdout
        #expect(shown.contains("52:54:00:61:00:01,10.61.0.1,fd61::1"), "show does not print the allowed address: \(shown)")

        // Legitimate traffic passes (and proves the capture sees what arrives).
        let legit = world.capture(vm2, "vm2", filter: "icmp or icmp6") {
            #expect(world.ping(from: vm1, "10.61.0.2"))
            #expect(world.exec(vm1, "ping -6 -c 2 -i 0.2 -W 1 -I fd61::1 fd61::2").ok)
        }
        #expect(legit.contains { $0.contains("10.61.0.1 > 10.61.0.2") }, "capture saw no legitimate IPv4: \(legit.prefix(4))")
        #expect(legit.contains { $0.contains("fd61::1 > fd61::2") }, "capture saw no legitimate IPv6: \(legit.prefix(4))")

        // Spoofed IPv4 and IPv6 sources.
        #expect(world.exec(vm1, "ip addr add 10.61.0.99/24 dev vm1").ok)
        #expect(world.exec(vm2, "ip neigh replace 10.61.0.99 lladdr 52:54:00:61:00:01 dev vm2 nud permanent").ok)
        let before = try d.counters("br0", "vm1").drops
        let spoofedIP = world.capture(vm2, "vm2", filter: "icmp or icmp6") {
            _ = world.exec(vm1, "ping -c 3 -i 0.1 -W 0.3 -I 10.61.0.99 10.61.0.2")
            _ = world.exec(vm1, "ping -6 -c 3 -i 0.1 -W 0.3 -I fd61::99 fd61::2")
        }
        #expect(!spoofedIP.contains { $0.contains("10.61.0.99") || $0.contains("fd61::99") }, "spoofed IP reached vm2: \(spoofedIP.prefix(4))")
        var after = try d.counters("br0", "vm1").drops
        #expect((after["spoofed-ip"] ?? 0) - (before["spoofed-ip"] ?? 0) >= 6, "spoofed-ip: \(before) → \(after)")

        // Gratuitous ARP for vm2's address (the kind that steals a gateway), sent as raw bytes.
        let garp = "ffffffffffff" + "525400610001" + "0806" + "0001080006040001" + "525400610001" + "0a3d0002"
            + "000000000000" + "0a3d0002"
        let arps = world.capture(vm2, "vm2", filter: "arp") {
            #expect(world.sendRawFrame(vm1, "vm1", hex: garp, count: 3).ok)
        }
        #expect(!arps.contains { $0.contains("10.61.0.2 tell 10.61.0.2") || $0.contains("Reply 10.61.0.2") || $0.contains("who-has 10.61.0.2 tell 10.61.0.2") },
                "the gratuitous ARP reached vm2: \(arps)")
        after = try d.counters("br0", "vm1").drops
        #expect((after["spoofed-arp"] ?? 0) - (before["spoofed-arp"] ?? 0) >= 3, "spoofed-arp: \(after)")

        // A spoofed source MAC.
        #expect(world.exec(vm1, "ip link set vm1 address 52:54:00:61:00:66").ok)
        let spoofedMAC = world.capture(vm2, "vm2", filter: "icmp") {
            _ = world.exec(vm1, "ping -c 3 -i 0.1 -W 0.3 10.61.0.2")
        }
        #expect(!spoofedMAC.contains { $0.contains("52:54:00:61:00:66") }, "spoofed MAC reached vm2: \(spoofedMAC.prefix(3))")
        after = try d.counters("br0", "vm1").drops
        #expect((after["spoofed-mac"] ?? 0) - (before["spoofed-mac"] ?? 0) >= 1, "spoofed-mac: \(after)")
        // trace says which rule would drop it.
        let trace = d.cli("trace", "br0", "--in-port", "vm1", "--src", "52:54:00:61:00:66", "--dst", "ff:ff:ff:ff:ff:ff")
        #expect(trace.stdout.contains("spoofed-mac") || !trace.ok, "trace: \(trace)")

        // Back to the allowed MAC and no restriction: everything passes again.
        #expect(world.exec(vm1, "ip link set vm1 address 52:54:00:61:00:01").ok)
        #expect(d.cli("set-port", "br0", "vm1", "--no-allowed-address").ok)
        _ = world.exec(vm2, "ip neigh flush dev vm2")
        #expect(world.exec(vm1, "ping -c 3 -i 0.2 -W 1 -I 10.61.0.99 10.61.0.2").ok)
    }

    @Test func aRogueDHCPServerOnAVMPortServesNobodyATrustedOneDoes() throws {
        let world = NetnsWorld("pdhcp")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let rogue = try world.tapVM(d, "br0", "rogue", address: "10.62.0.1/24")
        let server = try world.tapVM(d, "br0", "server", address: "10.63.0.1/24")
        let client = try world.tapVM(d, "br0", "client", address: nil)
        #expect(world.exec(client, "ip link set client up").ok)
        let dnsmasq = "dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=0 --bind-interfaces --leasefile-ro --user=root"
        _ = world.spawn(rogue, "\(dnsmasq) --interface=rogue --dhcp-range=10.62.0.100,10.62.0.150,1m --pid-file=\(world.tempDirectory)/rogue.pid")
        // The legitimate server's port is trusted; the rogue's is a plain VM port (untrusted by default).
        #expect(d.cli("set-port", "br0", "server", "--trusted").ok)
        _ = world.spawn(server, "\(dnsmasq) --interface=server --dhcp-range=10.63.0.100,10.63.0.150,1m --pid-file=\(world.tempDirectory)/server.pid")
        usleep(500_000)
        var leases: [String] = []
        for _ in 0..<3 {
            let r = world.exec(client, "udhcpc -i client -n -q -t 3 -T 1 -s /bin/true -f 2>&1", timeout: 20)
            leases.append(r.stdout + r.stderr)
        }
        let text = leases.joined(separator: "\n")
        #expect(text.contains("10.63.0."), "no lease from the trusted server: \(text)")
        #expect(!text.contains("10.62.0."), "the rogue server's offer reached the client: \(text)")
        #expect((try d.counters("br0", "rogue").drops["rogue-dhcp"] ?? 0) >= 1)
    }

    @Test func aBroadcastFloodIsCutToTheStormLimit() throws {
        let world = NetnsWorld("pstorm")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.64.0.1/24", ["--storm-limit", "broadcast=100pps"])
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.64.0.2/24")
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.64.0.3/24")
        let mac1 = world.mac(vm1, "vm1").replacingOccurrences(of: ":", with: "")
        // 3,000 broadcast frames in a burst (far over 100 a second), written with no pause.
        let burst = """
            import socket
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(("vm1", 0))
            f = bytes.fromhex("ffffffffffff\(mac1)88b5") + b"storm" + bytes(50)
            sent = 0
            for i in range(3000):
                try:
                    s.send(f); sent += 1
                except OSError:
                    pass
            print(sent)
            """
        try burst.write(toFile: "\(world.tempDirectory)/burst.py", atomically: true, encoding: .utf8)
        var sent = 0
        let before = try d.counters("br0", "vm1")
        let got = world.receiveFrames(on: [(vm2, "vm2")], marker: "storm") {
            let r = world.exec(vm1, "python3 \(world.tempDirectory)/burst.py")
            #expect(r.ok, "\(r)")
            sent = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        let after = try d.counters("br0", "vm1")
        // What the switch read from vm1 (a loaded machine may lose some in the tap's queue first).
        let read = Int(after.rxPackets - before.rxPackets)
        let n = got["\(vm2)/vm2"]?.count ?? 0
        let drops = Int((after.drops["storm"] ?? 0) - (before.drops["storm"] ?? 0))
        #expect(sent >= 2900, "the burst sent only \(sent) frames")
        #expect(read >= 500, "the switch read too few of the burst to judge: \(read)")
        #expect(n >= 5, "the capture saw too few frames to judge: \(n)")
        #expect(n < 1000, "the flood was not cut: vm2 received \(n) of \(read)")
        #expect(drops >= read - n - 20, "storm drops \(drops) of \(read) read, \(n) received")
        // Unicast from the flooding port and the other ports' traffic still pass.
        #expect(world.ping(from: vm3, "10.64.0.2"))
        #expect(world.ping(from: vm1, "10.64.0.3"))
    }
}

/// The RA guard through real radvd instances: a VM's radvd reaches nobody, a trusted port's does.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct RouterAdvertisementGuardTests {
    @Test func aRogueRadvdOnAVMPortReachesNobodyATrustedOneDoes() throws {
        let world = NetnsWorld("pra")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let rogue = try world.tapVM(d, "br0", "rogue", address: nil)
        let router = try world.tapVM(d, "br0", "router", address: nil, ["--trusted"])
        let client = try world.tapVM(d, "br0", "client", address: nil)
        for (ns, ifname) in [(rogue, "rogue"), (router, "router"), (client, "client")] {
            #expect(world.exec(ns, "ip link set \(ifname) up").ok)
        }
        #expect(world.exec(client, "sysctl -qw net.ipv6.conf.client.accept_ra=2 net.ipv6.conf.client.autoconf=1").ok)
        for (ns, ifname, prefix) in [(rogue, "rogue", "fd99:1::"), (router, "router", "fd98:1::")] {
            let conf = "\(world.tempDirectory)/radvd-\(ifname).conf"
            try """
                interface \(ifname) {
                    AdvSendAdvert on;
                    MinRtrAdvInterval 3;
                    MaxRtrAdvInterval 4;
                    prefix \(prefix)/64 { AdvOnLink on; AdvAutonomous on; };
                };
                """.write(toFile: conf, atomically: true, encoding: .utf8)
            #expect(world.exec(ns, "sysctl -qw net.ipv6.conf.all.forwarding=1").ok)
            _ = world.spawn(ns, "exec radvd -n -C \(conf) -p \(world.tempDirectory)/radvd-\(ifname).pid -u root")
        }
        // Wait for the trusted router's prefix (proves the client takes RAs at all).
        var addresses = ""
        for _ in 0..<40 {
            addresses = world.exec(client, "ip -6 addr show dev client").stdout
            if addresses.contains("fd98:1:") { break }
            usleep(250_000)
        }
        #expect(addresses.contains("fd98:1:"), "no address from the trusted router: \(addresses)")
        // Wait until the rogue has sent (and the guard dropped) at least one RA, so the check below means something.
        var rogueDrops: UInt64 = 0
        for _ in 0..<40 {
            rogueDrops = try d.counters("br0", "rogue").drops["rogue-ra"] ?? 0
            if rogueDrops >= 1 { break }
            usleep(250_000)
        }
        #expect(rogueDrops >= 1, "the rogue radvd sent no RA within 10 s")
        usleep(1_500_000)
        addresses = world.exec(client, "ip -6 addr show dev client").stdout
        #expect(!addresses.contains("fd99:1:"), "the rogue RA reached the client: \(addresses)")
    }
}
