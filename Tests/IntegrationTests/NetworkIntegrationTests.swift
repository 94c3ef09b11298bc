import ControlProtocol
import Foundation
import TestSupport
import Testing

/// libvirt-style networks realized by a real tapestryd in its own namespace: forward modes seen
/// from VMs (namespaces on tap ports) with a real DHCP client, and a "wan" namespace as the world.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct NetworkIntegrationTests {
    @Test func natVMGetsLeaseAndReachesWANAsTheHost() throws {
        let lab = try NetworkLab("nat")
        defer { lab.close() }
        let d = lab.daemon
        let def = lab.define(networkXML("default", bridge: "virbr0", forward: "nat", subnet: "192.168.122"))
        #expect(def.ok, "\(def)")
        let start = d.cli("net-start", "default")
        try #require(start.ok, "\(start)\n\(d.log)")
        let vm = try lab.vm("vm1", on: "default")
        let lease = try #require(lab.dhcp(vm, "vm1"), "no DHCP lease; daemon log:\n\(d.log)")
        let ip = try #require(lease["ip"])
        #expect(ip.hasPrefix("192.168.122."))
        #expect(lease["router"] == "192.168.122.1")
        #expect(lease["dns"] == "192.168.122.1")

        lab.startServer()
        let seen = lab.connect(from: vm, to: NetworkLab.wanAddress)
        #expect(seen == NetworkLab.hostWAN, "server saw \(seen ?? "nothing"), expected the host's wan address")

        // The lease shows in net-dhcp-leases, with the VM's MAC.
        let mac = lab.world.exec(vm, "cat /sys/class/net/vm1/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let leases = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "default")
        #expect(leases.leases.contains { $0.ipAddress == ip && $0.mac == mac && $0.prefix == 24 }, "\(leases.leases)")
        let filtered = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "default", "--mac", "52:54:00:aa:bb:cc")
        #expect(filtered.leases.isEmpty)
        #expect(lab.world.exec(lab.host, "sysctl -n net.ipv4.ip_forward").stdout.hasPrefix("1"))
    }

    @Test func routedVMIsSeenWithItsOwnAddressAndReachableFromWAN() throws {
        let lab = try NetworkLab("route")
        defer { lab.close() }
        let d = lab.daemon
        #expect(lab.define(networkXML("routed", bridge: "virbr1", forward: "route", subnet: "192.168.150")).ok)
        let start = d.cli("net-start", "routed")
        try #require(start.ok, "\(start)")
        let vm = try lab.vm("vm1", on: "routed")
        let lease = try #require(lab.dhcp(vm, "vm1"), "no DHCP lease; daemon log:\n\(d.log)")
        let ip = try #require(lease["ip"])
        #expect(lease["router"] == "192.168.150.1")

        // The wan side knows the routed subnet through the host.
        #expect(lab.world.exec(lab.wan, "ip route add 192.168.150.0/24 via \(NetworkLab.hostWAN)").ok)
        lab.startServer()
        let seen = lab.connect(from: vm, to: NetworkLab.wanAddress)
        #expect(seen == ip, "server saw \(seen ?? "nothing"), expected the VM's own address \(ip)")
        #expect(lab.world.ping(from: lab.wan, ip), "wan cannot reach the VM at \(ip)")
    }

    @Test func isolatedVMsReachEachOtherAndDHCPButNotTheWAN() throws {
        let lab = try NetworkLab("iso")
        defer { lab.close() }
        let d = lab.daemon
        #expect(lab.define(networkXML("isolated", bridge: "virbr2", forward: nil, subnet: "192.168.160",
                                      hosts: ["<host mac='52:54:00:00:16:01' name='alpha' ip='192.168.160.11'/>"])).ok)
        let start = d.cli("net-start", "isolated")
        try #require(start.ok, "\(start)")
        let vm1 = try lab.vm("vm1", on: "isolated", mac: "52:54:00:00:16:01")
        let vm2 = try lab.vm("vm2", on: "isolated")
        let l1 = try #require(lab.dhcp(vm1, "vm1"), "vm1 got no lease; log:\n\(d.log)")
        let l2 = try #require(lab.dhcp(vm2, "vm2"), "vm2 got no lease")
        #expect(l1["ip"] == "192.168.160.11")
        #expect(l1["router"] == "", "an isolated network must not offer a default route: \(l1)")
        #expect(l2["router"] == "")
        let ip2 = try #require(l2["ip"])
        #expect(lab.world.ping(from: vm1, ip2), "VMs on an isolated network must reach each other")
        // DNS on the gateway answers for the network's names.
        let dig = lab.world.exec(vm2, "dig +short +time=2 +tries=2 @192.168.160.1 alpha")
        #expect(dig.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "192.168.160.11", "\(dig)")

        // Even with forwarding on in the host and a route in the VM, nothing goes out to the wan.
        lab.world.exec(lab.host, "sysctl -qw net.ipv4.ip_forward=1")
        lab.world.exec(lab.wan, "ip route add 192.168.160.0/24 via \(NetworkLab.hostWAN)")
        lab.world.exec(vm1, "ip route add 10.99.0.0/24 via 192.168.160.1")
        lab.startServer()
        #expect(lab.connect(from: vm1, to: NetworkLab.wanAddress, attempts: 1) == nil, "an isolated VM reached the wan")
        #expect(!lab.world.ping(from: vm1, NetworkLab.wanAddress, count: 2), "an isolated VM pinged the wan")
        #expect(!lab.world.ping(from: lab.wan, "192.168.160.11", count: 2), "the wan pinged an isolated VM")
    }
}
