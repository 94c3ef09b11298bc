import ControlProtocol
import Foundation
import TestSupport
import Testing

/// A running network changed live (`net-define --live`): only what differs changes on the host,
/// the VMs keep their ports and leases, dnsmasq keeps its pid when only its hosts changed.
extension NetworkIntegrationTests {
    @Suite(.serialized)
    struct Reconcile {
        static let route = "<route address='10.77.0.0' prefix='24' gateway='192.168.140.2'/>"

        static func xml(forward: String, address: String = "192.168.140.1", hosts: [String] = [], routes: String = "") -> String {
            let fwd = "  <forward mode='\(forward)'/>\n"
            return """
                <network>
                  <name>lan</name>
                \(fwd)  <bridge name='virbr4'/>
                  <ip address='\(address)' netmask='255.255.255.0'>
                    <dhcp>
                      <range start='192.168.140.100' end='192.168.140.200'/>
                \(hosts.map { "      " + $0 + "\n" }.joined())    </dhcp>
                  </ip>
                  \(routes)
                </network>

                """
        }

        /// `net-define FILE --live`.
        static func defineLive(_ lab: NetworkLab, _ xml: String) -> Shell.Output {
            let file = "\(lab.world.tempDirectory)/live-\(UUID().uuidString).xml"
            FileManager.default.createFile(atPath: file, contents: Data(xml.utf8))
            return lab.daemon.cli("net-define", file, "--live")
        }

        @Test func liveChangesKeepLeasesAndDnsmasqAndInstallRoutes() throws {
            let lab = try NetworkLab("reconcile")
            defer { lab.close() }
            let d = lab.daemon
            func host(_ ns: String, _ command: String) -> Shell.Output { lab.world.exec(ns, command) }
            #expect(lab.define(Self.xml(forward: "nat")).ok)
            try #require(d.cli("net-start", "lan").ok, "\(d.log)")
            let vm1 = try lab.vm("vm1", on: "lan")
            let lease = try #require(lab.dhcp(vm1, "vm1"), "no lease; log:\n\(d.log)")
            let ip1 = try #require(lease["ip"])
            let pid = try #require(try lab.info("lan").dnsmasqPID)
            #expect(host(vm1, "ping -c1 -W2 192.168.140.1").ok, "the VM reaches its gateway")

            // A DHCP host added: same dnsmasq pid, the new host gets its fixed address.
            let withHost = Self.xml(forward: "nat", hosts: ["<host mac='52:54:00:00:01:07' name='web' ip='192.168.140.7'/>"])
            let h = Self.defineLive(lab, withHost)
            try #require(h.ok, "\(h)")
            #expect(try lab.info("lan").dnsmasqPID == pid, "dnsmasq was restarted instead of reloaded")
            let vm2 = try lab.vm("vm2", on: "lan", mac: "52:54:00:00:01:07")
            #expect(lab.dhcp(vm2, "vm2")?["ip"] == "192.168.140.7")
            #expect(d.cli("net-dumpxml", "lan").stdout.contains("52:54:00:00:01:07"), "the running definition is the new one")
            #expect(d.cli("net-dumpxml", "lan", "--inactive").stdout.contains("52:54:00:00:01:07"), "and so is the persistent one")

            // A route added: it appears on the bridge, nothing else moves.
            let showRoute = { host(lab.host, "ip -4 route show 10.77.0.0/24").stdout }
            #expect(!showRoute().contains("10.77.0.0/24"), "the capture of routes sees none before")
            let r = Self.defineLive(lab, Self.xml(forward: "nat", hosts: ["<host mac='52:54:00:00:01:07' name='web' ip='192.168.140.7'/>"],
                                                  routes: Self.route))
            try #require(r.ok, "\(r)")
            #expect(showRoute().contains("via 192.168.140.2 dev virbr4"), "route missing: \(showRoute())")
            #expect(try lab.info("lan").dnsmasqPID == pid)

            // nat → route: the NAT chain goes, the forward chain stays, the VM keeps its address and port.
            #expect(host(lab.host, "nft list chain ip tapestry nat_virbr4").ok, "NAT chain present before")
            let m = Self.defineLive(lab, Self.xml(forward: "route", hosts: ["<host mac='52:54:00:00:01:07' name='web' ip='192.168.140.7'/>"],
                                                  routes: Self.route))
            try #require(m.ok, "\(m)")
            #expect(!host(lab.host, "nft list chain ip tapestry nat_virbr4").ok, "NAT chain left behind")
            #expect(host(lab.host, "nft list chain ip tapestry fwd_virbr4").ok)
            #expect(try lab.info("lan").forwardMode == "route")
            #expect(try lab.info("lan").dnsmasqPID == pid, "a forward mode change does not touch dnsmasq")
            #expect(host(vm1, "ip -4 -o addr show dev vm1").stdout.contains(ip1), "the VM lost its address")
            #expect(host(vm1, "ping -c1 -W2 192.168.140.1").ok, "the VM still reaches its gateway")

            // The route removed: gone from the host.
            let rm = Self.defineLive(lab, Self.xml(forward: "route", hosts: ["<host mac='52:54:00:00:01:07' name='web' ip='192.168.140.7'/>"]))
            try #require(rm.ok, "\(rm)")
            #expect(!showRoute().contains("10.77.0.0/24"), "route left behind: \(showRoute())")

            // The VM's lease stayed through all of it: dnsmasq still has it and renews the same address.
            let leases = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "lan")
            #expect(leases.leases.contains { $0.ipAddress == ip1 }, "\(leases.leases)")
            #expect(lab.dhcp(vm1, "vm1")?["ip"] == ip1)

            // A changed gateway address: the old one goes, the new one comes, dnsmasq restarts on it.
            let a = Self.defineLive(lab, Self.xml(forward: "route", address: "192.168.140.254",
                                                  hosts: ["<host mac='52:54:00:00:01:07' name='web' ip='192.168.140.7'/>"]))
            try #require(a.ok, "\(a)")
            let addrs = host(lab.host, "ip -4 -o addr show dev virbr4").stdout
            #expect(addrs.contains("192.168.140.254/24") && !addrs.contains("192.168.140.1/"), "\(addrs)")
            #expect(host(vm1, "ping -c1 -W2 192.168.140.254").ok, "the VM reaches the new gateway address")
            #expect(lab.dhcp(vm1, "vm1")?["router"] == "192.168.140.254")

            // What cannot change live is refused and changes nothing.
            let bad = Self.defineLive(lab, Self.xml(forward: "route", address: "192.168.140.254").replacingOccurrences(of: "virbr4", with: "virbr9"))
            #expect(!bad.ok && bad.stderr.contains("next start"), "\(bad)")
            #expect(host(lab.host, "ip link show virbr4").ok)
        }
    }
}
