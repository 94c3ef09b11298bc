import TapestryModel
import Testing

/// Egress shaping and impairments toward a port do not apply on vxlan and patch ports: refused
/// when set (naming the port, its bridge and why), kept when already stored and unchanged.
struct EgressPolicyRefusalTests {
    static func port(_ type: PortType, _ edit: (inout PortPolicy) -> Void) -> PortConfig {
        var p = PortConfig(name: type == .vxlan ? "vx0" : "pa", type: type,
                           vxlan: type == .vxlan ? VXLANConfig(vni: 42, remotes: [IPAddress("10.0.0.2")!]) : nil,
                           peer: type == .patch ? "pb" : nil)
        var policy = PortPolicy()
        edit(&policy)
        p.policy = policy
        return p
    }

    @Test func egressShapingAndOutgoingImpairmentsAreRefusedOnTunnelAndPatchPorts() {
        for type in [PortType.vxlan, .patch] {
            let shaped = Self.port(type) { $0.egressRate = 50_000_000 }
            #expect(shaped.egressPolicyProblem?.hasPrefix("egress shaping (--egress-rate) does not apply on a \(type.rawValue) port") == true)
            for direction in [ImpairmentConfig.Direction.out, .both] {
                let impaired = Self.port(type) { $0.impairment = ImpairmentConfig(); $0.impairment?.delayNanos = 20_000_000; $0.impairment?.direction = direction }
                #expect(impaired.egressPolicyProblem?.contains("(--impair-direction \(direction.rawValue)) do not apply") == true)
            }
            // Default direction is out.
            #expect(Self.port(type) { $0.impairment = ImpairmentConfig(); $0.impairment?.lossPPM = 10_000 }.egressPolicyProblem != nil)
            // What does apply there: ingress policing, impairments of frames from the port, storm control.
            #expect(Self.port(type) { $0.ingressRate = 10_000_000 }.egressPolicyProblem == nil)
            #expect(Self.port(type) { $0.impairment = ImpairmentConfig(); $0.impairment?.delayNanos = 1_000_000; $0.impairment?.direction = .in }.egressPolicyProblem == nil)
            #expect(Self.port(type) { $0.stormBroadcast = 100 }.egressPolicyProblem == nil)
        }
        var tap = Self.port(.vxlan) { $0.egressRate = 50_000_000 }
        tap.type = .tap
        tap.vxlan = nil
        #expect(tap.egressPolicyProblem == nil)
    }

    @Test func onlyNewOrChangedPortsAreRefused() {
        let bad = Self.port(.vxlan) { $0.egressRate = 50_000_000 }
        let good = Self.port(.vxlan) { $0.ingressRate = 10_000_000 }
        let before = DesiredState(bridges: [BridgeConfig(name: "br0", mode: .learning, ports: [good])])
        let after = DesiredState(bridges: [BridgeConfig(name: "br0", mode: .learning, ports: [bad])])
        #expect(after.egressPolicyRefusal(comparedTo: before)?.hasPrefix("port vx0 on bridge br0: egress shaping") == true)
        #expect(after.egressPolicyRefusal(comparedTo: DesiredState())?.hasPrefix("port vx0 on bridge br0:") == true)
        // A stored one (from before the refusal existed) stays, and other changes go through.
        var other = after
        other.bridges[0].macAging = 600
        #expect(other.egressPolicyRefusal(comparedTo: after) == nil)
        #expect(before.egressPolicyRefusal(comparedTo: after) == nil)
    }
}
