import ControlProtocol
import Foundation
import TestSupport
import Testing

/// The project's test guest (Tools/guest) on a Tapestry NAT network: QEMU under TCG with a tap
/// netdev attached by Tools/qemu-ifup; the guest's own DHCP client must get a lease from the
/// network's dnsmasq and the guest must reach its gateway and, through NAT, the wan.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && TestGuest.isAvailable, "needs root, ip netns and qemu-system-x86"))
struct TestGuestTests {
    @Test func guestOnNATNetworkGetsLeaseAndPingsGatewayAndWAN() throws {
        let lab = try NetworkLab("guest")
        defer { lab.close() }
        let d = lab.daemon
        #expect(lab.define(networkXML("gnet", bridge: "gbr0", forward: "nat", subnet: "192.168.177")).ok)
        let start = d.cli("net-start", "gnet")
        try #require(start.ok, "\(start)")
        let tools = TestGuest.sourceDirectory + "/Tools"
        let env = ["TAPESTRY_CLI": NetnsWorld.binDirectory + "/tapestry", "TAPESTRY_SOCKET": d.socket, "TAPESTRY_NETWORK": "gnet"]
        let nic = GuestVM.NIC(netdev: "tap,ifname=gvm0,script=\(tools)/qemu-ifup,downscript=\(tools)/qemu-ifdown",
                              mac: "52:54:00:77:00:01")
        let vm = try GuestVM(world: lab.world, namespace: lab.host, name: "g1", nics: [nic], environment: env)
        defer { vm.stop() }
        let lease = try #require(vm.lease(timeout: 90), "no lease; console:\n\(vm.consoleText)\nlog:\n\(d.log.suffix(3000))")
        #expect(lease.address.hasPrefix("192.168.177.") && lease.address.hasSuffix("/24"), "\(lease)")
        #expect(lease.router == "192.168.177.1")
        // The lease is the one dnsmasq handed to this guest's MAC.
        let leases = try d.json(NetworkLeasesResult.self, "net-dhcp-leases", "gnet")
        #expect(leases.leases.contains { $0.ipAddress == lease.ip && $0.mac == "52:54:00:77:00:01" }, "\(leases.leases)")
        #expect(vm.ping("192.168.177.1"), "guest cannot ping its gateway; console:\n\(vm.consoleText)")
        #expect(vm.ping(NetworkLab.wanAddress), "guest cannot reach the wan through NAT")
        // A check that can fail: an address nobody holds does not answer.
        #expect(!vm.ping("192.168.177.254", count: 1))
        #expect(vm.isRunning)
        let comm = (try? String(contentsOfFile: "/proc/\(vm.pid)/comm", encoding: .utf8)) ?? "none"
        vm.stop()
        #expect(!vm.isRunning, "pid \(vm.pid) \(comm)")
        // QEMU ran the downscript: the port is gone from the bridge.
        let show = d.cli("show")
        #expect(!show.stdout.contains("gvm0"), "\(show.stdout)\nqemu:\n\(vm.qemuLogText)")
    }
}
