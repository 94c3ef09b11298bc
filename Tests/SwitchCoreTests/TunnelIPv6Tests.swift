import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// IPv6 underlays in the decision pipeline: an IPv6 remote travels as an interned `TunnelRemoteKey`
/// (IPv4 remotes stay their own address), learned and static entries behind it work as for IPv4.
@Suite("Tunnels over IPv6")
struct TunnelIPv6Tests {
    let r1 = IPAddress(strict: "2001:db8:6::2")!, r2 = IPAddress(strict: "2001:db8:6::3")!, r3 = IPAddress(strict: "2001:db8:6::4")!

    @Test func keysAreTheIPv4AddressOrAnInternedIPv6Key() throws {
        #expect(TunnelRemoteKey.key(for: IPAddress(ipv4: 0x0A00_0002)) == 0x0A00_0002)
        let k = try #require(TunnelRemoteKey.key(for: r1))
        #expect(TunnelRemoteKey.isIPv6(k) && k != TunnelRemoteKey.none && k != TunnelRemoteKey.unknownIPv6)
        #expect(TunnelRemoteKey.key(for: r1) == k, "one key per address")
        #expect(TunnelRemoteKey.key(for: r2) != k)
        #expect(TunnelRemoteKey.address(of: k) == r1)
        #expect(TunnelRemoteKey.address(of: 0x0A00_0002) == IPAddress(ipv4: 0x0A00_0002))
        #expect(TunnelRemoteKey.address(of: TunnelRemoteKey.none) == nil && TunnelRemoteKey.address(of: TunnelRemoteKey.unknownIPv6) == nil)
        #expect(TunnelRemoteKey.existingKey(ipv6High: r1.high, low: r1.low) == k)
        // A sender nobody configured is not interned.
        let stranger = IPAddress(strict: "2001:db8:6::dead")!
        #expect(TunnelRemoteKey.existingKey(ipv6High: stranger.high, low: stranger.low) == TunnelRemoteKey.unknownIPv6)
    }

    @Test func learnedAndStaticIPv6RemotesSteerUnicast() throws {
        let vx = PortConfig(name: "vx0", type: .vxlan, vlan: T.vlan(10), vxlan: VXLANConfig(vni: 42, remotes: [r1, r2]))
        let sw = T.bridge([T.access("a", 10), vx], statics: [StaticMAC(mac: T.mac(9), vlan: T.vlan(10), port: "vx0", remote: r3)])
        let k1 = try #require(TunnelRemoteKey.key(for: r1)), k3 = try #require(TunnelRemoteKey.key(for: r3))
        func tunnel(_ out: [InMemorySwitch.Delivery]) -> [UInt32] { out.filter { $0.kind == .forward && $0.port == "vx0" }.map(\.remote) }
        #expect(tunnel(sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")) == [0], "a flood goes to every remote")
        sw.deliveries(T.frame(to: .broadcast, from: T.mac(7)), on: "vx0", remote: k1)
        #expect(sw.engine.table.lookupWithRemote(T.mac(7), vlan: 10)?.remote == k1)
        #expect(tunnel(sw.deliveries(T.frame(to: T.mac(7), from: T.mac(1)), on: "a")) == [k1])
        #expect(tunnel(sw.deliveries(T.frame(to: T.mac(9), from: T.mac(1)), on: "a")) == [k3])
        #expect(sw.engine.table.lookupWithRemote(T.mac(9), vlan: 10).flatMap { TunnelRemoteKey.address(of: $0.remote) } == r3)
    }
}
