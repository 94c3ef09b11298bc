import SwitchCore
import TapestryModel
import TestSupport
import Testing

/// VXLAN ports through the decision pipeline: floods go to every remote VTEP, a destination learned
/// behind one VTEP goes to that VTEP only.
@Suite("Tunnels")
struct TunnelTests {
    static let r1: UInt32 = 0x0A00_0002, r2: UInt32 = 0x0A00_0003, r3: UInt32 = 0x0A00_0004

    func world(statics: [StaticMAC] = []) -> InMemorySwitch {
        let vx = PortConfig(name: "vx0", type: .vxlan, vlan: T.vlan(10),
                            vxlan: VXLANConfig(vni: 42, remotes: [IPAddress(ipv4: Self.r1), IPAddress(ipv4: Self.r2)]))
        return T.bridge([T.access("a", 10), T.access("b", 10), vx], statics: statics)
    }

    func tunnelForwards(_ out: [InMemorySwitch.Delivery]) -> [UInt32] {
        out.filter { $0.kind == .forward && $0.port == "vx0" }.map(\.remote)
    }

    @Test func aFloodGoesToEveryVTEP() {
        let sw = world()
        let out = sw.deliveries(T.frame(to: .broadcast, from: T.mac(1)), on: "a")
        #expect(out.map(\.port).sorted() == ["b", "vx0"])
        #expect(tunnelForwards(out) == [0], "remote 0 = every remote of the port")
        // An unknown unicast as well.
        #expect(tunnelForwards(sw.deliveries(T.frame(to: T.mac(50), from: T.mac(1)), on: "a")) == [0])
    }

    @Test func aDestinationLearnedBehindAVTEPGoesToThatVTEPOnly() {
        let sw = world()
        sw.deliveries(T.frame(to: .broadcast, from: T.mac(7)), on: "vx0", remote: Self.r1)
        #expect(sw.lastDecision?.learned == true)
        sw.deliveries(T.frame(to: .broadcast, from: T.mac(8)), on: "vx0", remote: Self.r2)
        #expect(sw.engine.table.lookupWithRemote(T.mac(7), vlan: 10).map { [$0.port, $0.remote] } == [sw.portID("vx0")!, Self.r1])
        let to7 = sw.deliveries(T.frame(to: T.mac(7), from: T.mac(1)), on: "a")
        #expect(to7.map(\.port) == ["vx0"] && tunnelForwards(to7) == [Self.r1])
        #expect(tunnelForwards(sw.deliveries(T.frame(to: T.mac(8), from: T.mac(1)), on: "a")) == [Self.r2])
        // The MAC moves to another VTEP: frames follow it.
        sw.deliveries(T.frame(to: .broadcast, from: T.mac(7)), on: "vx0", remote: Self.r2)
        #expect(tunnelForwards(sw.deliveries(T.frame(to: T.mac(7), from: T.mac(1)), on: "a")) == [Self.r2])
        // Frames from a VTEP to a MAC behind the tunnel are not sent back into it (no hairpin between VTEPs).
        #expect(sw.deliveries(T.frame(to: T.mac(8), from: T.mac(7)), on: "vx0", remote: Self.r2).isEmpty)
        #expect(sw.dropCount("vx0", .destinationOnIngress) == 1)
        // A frame from a VTEP to a local MAC goes there, untouched.
        let local = sw.deliveries(T.frame(to: T.mac(1), from: T.mac(7)), on: "vx0", remote: Self.r2)
        #expect(local.map(\.port) == ["a"] && local.first?.frame == T.frame(to: T.mac(1), from: T.mac(7)))
    }

    @Test func aStaticMACBehindAVTEPGoesToThatVTEP() {
        let sw = world(statics: [StaticMAC(mac: T.mac(9), vlan: T.vlan(10), port: "vx0", remote: IPAddress(ipv4: Self.r3))])
        #expect(tunnelForwards(sw.deliveries(T.frame(to: T.mac(9), from: T.mac(1)), on: "a")) == [Self.r3])
        // Learning does not move it.
        sw.deliveries(T.frame(to: .broadcast, from: T.mac(9)), on: "b")
        #expect(sw.lastDecision?.learned == false)
        #expect(tunnelForwards(sw.deliveries(T.frame(to: T.mac(9), from: T.mac(1)), on: "a")) == [Self.r3])
    }
}
