import ControlProtocol
import Foundation
import TapestryModel
import Testing
@testable import TapestryDaemon

/// The daemon refuses egress shaping and impairments toward vxlan and patch ports at add-port and
/// set-port, naming the port and why, and changes nothing; a config stored with one still loads.
/// (Patch ports and a refused vxlan port: nothing touches the host.)
@Suite(.serialized) struct EgressPolicyDaemonTests {
    static func patchPair(_ d: Daemon) throws {
        for b in ["br0", "br1"] {
            #expect(try d.call(Methods.AddBridge.self, AddBridgeParams(bridge: BridgeConfig(name: b), mayExist: false)).error == nil)
        }
        #expect(try d.call(Methods.AddPort.self, AddPortParams(bridge: "br0", port: PortConfig(name: "pa", type: .patch, peer: "pb"), mayExist: false)).error == nil)
        #expect(try d.call(Methods.AddPort.self, AddPortParams(bridge: "br1", port: PortConfig(name: "pb", type: .patch, peer: "pa"), mayExist: false)).error == nil)
    }

    static func setPort(_ bridge: String, _ port: String, _ policy: PortPolicy) -> SetPortParams {
        var p = SetPortParams(bridge: bridge, port: port)
        p.policy = PortPolicyEdit(values: policy)
        return p
    }

    @Test func setPortAndAddPortRefuseItAndChangeNothing() throws {
        try withDaemon { d in
            try Self.patchPair(d)
            let generation = try d.generation()
            var shape = PortPolicy()
            shape.egressRate = 50_000_000
            let refused = try d.call(Methods.SetPort.self, Self.setPort("br0", "pa", shape))
            #expect(refused.error?.message.hasPrefix("port pa on bridge br0: egress shaping (--egress-rate) does not apply on a patch port") == true,
                    "\(String(describing: refused.error))")
            var delay = PortPolicy()
            delay.impairment = ImpairmentConfig()
            delay.impairment?.delayNanos = 20_000_000
            let impaired = try d.call(Methods.SetPort.self, Self.setPort("br1", "pb", delay))
            #expect(impaired.error?.message.contains("impairments toward a patch port (--impair-direction out) do not apply") == true)
            var vx = PortConfig(name: "vx9", type: .vxlan, vxlan: VXLANConfig(vni: 9, remotes: [IPAddress("10.255.0.2")!]))
            vx.policy = shape
            let added = try d.call(Methods.AddPort.self, AddPortParams(bridge: "br0", port: vx, mayExist: false))
            #expect(added.error?.message.hasPrefix("port vx9 on bridge br0: egress shaping") == true, "\(String(describing: added.error))")
            #expect(try d.generation() == generation)
            #expect(d.bridges.state.bridge(named: "br0")?.port(named: "vx9") == nil)
            #expect(d.bridges.state.bridge(named: "br0")?.port(named: "pa")?.policy == nil)
            // What applies there is taken: frames from the port impaired (--impair-direction in).
            delay.impairment?.direction = .in
            #expect(try d.call(Methods.SetPort.self, Self.setPort("br1", "pb", delay)).error == nil)
            #expect(try d.generation() == generation + 1)
        }
    }

    @Test func aStoredOneStillLoadsAndOtherChangesGoThrough() throws {
        var shaped = PortConfig(name: "pa", type: .patch, peer: "pb")
        var shape = PortPolicy()
        shape.egressRate = 50_000_000
        shaped.policy = shape
        let stored = DesiredState(generation: 3, bridges: [BridgeConfig(name: "br0", mode: .learning, ports: [shaped]),
                                                           BridgeConfig(name: "br1", mode: .learning, ports: [PortConfig(name: "pb", type: .patch, peer: "pa")])])
        try withDaemon(state: try JSONEncoder().encode(stored)) { d in
            #expect(d.bridges.state.bridge(named: "br0")?.port(named: "pa")?.policy == shape)
            let other = try d.call(Methods.SetBridge.self, SetBridgeParams(bridge: "br0", macAging: 600))
            #expect(other.error == nil, "\(String(describing: other.error))")
        }
    }
}
