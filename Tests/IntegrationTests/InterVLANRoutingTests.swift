import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Two internal ports on VLANs 10 and 20 with addresses in the daemon's namespace, forwarding on
/// there: VMs on the two VLANs reach each other through the host, as with OVS internal ports.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct InterVLANRoutingTests {
    @Test func internalPortsRouteBetweenVLANs() throws {
        let world = NetnsWorld("ivr")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        for (gw, vlan, addr) in [("gw10", "10", "10.10.0.1/24"), ("gw20", "20", "10.20.0.1/24")] {
            let r = d.cli("add-port", "br0", gw, "--type", "internal", "--vlan", vlan)
            #expect(r.ok, "\(r)")
            #expect(world.exec(host, "ip link show \(gw)").ok, "internal port \(gw) is not in the daemon's namespace")
            #expect(world.exec(host, "ip addr add \(addr) dev \(gw) && ip link set \(gw) up").ok)
        }
        // Forwarding inside the daemon's namespace only (never the root namespace).
        #expect(world.exec(host, "sysctl -qw net.ipv4.ip_forward=1").ok)
        let v10 = try world.tapVM(d, "br0", "v10", address: "10.10.0.2/24", ["--vlan", "10"])
        let v20 = try world.tapVM(d, "br0", "v20", address: "10.20.0.2/24", ["--vlan", "20"])
        #expect(world.exec(v10, "ip route add default via 10.10.0.1").ok)
        #expect(world.exec(v20, "ip route add default via 10.20.0.1").ok)

        #expect(world.ping(from: v10, "10.10.0.1"), "v10 cannot reach its gateway")
        #expect(world.ping(from: v20, "10.20.0.1"), "v20 cannot reach its gateway")
        #expect(world.ping(from: v10, "10.20.0.2"), "VLAN 10 → 20 through the host failed")
        #expect(world.ping(from: v20, "10.10.0.2"), "VLAN 20 → 10 through the host failed")
        // The route really goes through the host: TTL is one less than the peer's 64.
        let out = world.exec(v10, "ping -c 1 -W 1 10.20.0.2").stdout
        #expect(out.contains("ttl=63"), "expected one routed hop: \(out)")

        // Without forwarding in the host namespace, the VLANs are apart again.
        #expect(world.exec(host, "sysctl -qw net.ipv4.ip_forward=0").ok)
        #expect(!world.ping(from: v10, "10.20.0.2", count: 2, wait: 0.5), "VLAN 10 reached 20 without forwarding")
    }
}
