import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// Real libvirt (Debian's libvirtd 9.0, private to the test, in the tapestryd's namespace) with
/// `tapestry-ovs-vsctl` as its `ovs-vsctl`: domains of the test guest (QEMU under TCG) with
/// `<virtualport type='openvswitch'/>` interfaces land on Tapestry bridges as libvirt asks.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && TestGuest.isAvailable && LibvirtHost.isAvailable,
                             "needs root, ip netns, qemu-system-x86 and libvirt (libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients)"))
struct LibvirtDomainTests {
    /// The port libvirt made for domain `uuid` (found by the vm-id libvirt put in its external ids).
    static func port(_ d: NetnsWorld.Daemon, vmID uuid: String) throws -> PortConfig? {
        try d.json(ShowResult.self, "show").bridges.flatMap(\.ports).map(\.config).first { $0.externalIDs?["vm-id"] == uuid }
    }

    /// `virsh domifstat` of one interface as numbers.
    static func interfaceStats(_ lv: LibvirtHost, _ domain: String, _ ifname: String) -> [String: Int] {
        var stats: [String: Int] = [:]
        for line in lv.virsh("domifstat", domain, ifname).stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, let n = Int(words[2]) { stats[String(words[1])] = n }
        }
        return stats
    }

    @Test func bridgeInterfaceOnNATNetworkGetsLeasePingsAndLeavesOnDestroy() throws {
        let lab = try NetworkLab("lvnat")
        defer { lab.close() }
        let d = lab.daemon
        try #require(lab.define(networkXML("lvnet", bridge: "lvbr0", forward: "nat", subnet: "192.168.179")).ok)
        try #require(d.cli("net-start", "lvnet").ok)
        let lv = try LibvirtHost(world: lab.world, namespace: lab.host, tapestrySocket: d.socket)
        defer { lv.stop() }
        let uuid = "7a9e0000-0000-4000-8000-000000000001"
        let iface = """
                <interface type='bridge'>
                  <source bridge='lvbr0'/>
                  <virtualport type='openvswitch'/>
                  <mac address='52:54:00:7a:00:01'/>
                  <model type='virtio'/>
                </interface>
            """
        let vm = try lv.start(LibvirtDomain(name: "lvnat1", uuid: uuid, interfaces: [iface]))
        defer { vm.stop() }
        // libvirt ran ovs-vsctl: the tap is a system port of the network's bridge with the VM's ids.
        let port = try #require(try Self.port(d, vmID: uuid), "no port; ovs-vsctl calls: \(lv.ovsCalls)\n\(lv.errors)")
        #expect(port.type == .system && port.name.hasPrefix("vnet"))
        #expect(port.externalIDs?["attached-mac"] == "52:54:00:7a:00:01")
        #expect(lv.ovsCalls.contains { $0.contains("--may-exist add-port lvbr0 \(port.name)") }, "\(lv.ovsCalls)")
        let lease = try #require(vm.lease(timeout: 120), "no lease; console:\n\(vm.consoleText)\nqemu:\n\(lv.qemuLog("lvnat1"))")
        #expect(lease.address.hasPrefix("192.168.179.") && lease.router == "192.168.179.1", "\(lease)")
        let leases = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "lvnet")
        #expect(leases.leases.contains { $0.ipAddress == lease.ip && $0.mac == "52:54:00:7a:00:01" }, "\(leases.leases)")
        #expect(vm.ping("192.168.179.1"), "guest cannot ping its gateway; console:\n\(vm.consoleText)")
        #expect(vm.ping(NetworkLab.wanAddress), "guest cannot reach the wan through NAT")
        #expect(!vm.ping("192.168.179.254", count: 1), "an address nobody holds answered")
        // domifstat reads the tap's kernel counters: the guest's traffic shows.
        let stats = Self.interfaceStats(lv, "lvnat1", port.name)
        #expect((stats["rx_packets"] ?? 0) >= 3 && (stats["tx_packets"] ?? 0) >= 3, "\(stats)")
        // destroy: libvirt deletes the port again.
        try #require(lv.virsh("destroy", "lvnat1").ok)
        #expect(try Self.port(d, vmID: uuid) == nil)
        #expect(lv.ovsCalls.last?.contains("--if-exists del-port \(port.name)") == true, "\(lv.ovsCalls)")
        #expect(!d.cli("show").stdout.contains(port.name))
    }
}
