import Testing
@testable import Topology

/// A topology file giving a vxlan port egress shaping or impairments toward it is refused
/// at its position, before anything is applied.
struct EgressPolicyTopologyTests {
    @Test func egressPolicyOnVXLANAndPatchPortsIsRefusedWithItsPosition() {
        let vxlan = problems("""
            bridges:
              br0:
                ports:
                  vx42:
                    type: vxlan
                    vxlan: {vni: 42, remotes: [10.0.0.2]}
                    policy: {egress-rate: 50mbit}
            """)
        #expect(vxlan.contains { $0.hasPrefix("4:") && $0.contains("port vx42 of bridge br0: egress shaping (--egress-rate) does not apply on a vxlan port") }, "\(vxlan)")
        let impaired = problems("""
            bridges:
              br0:
                ports:
                  vx42: {type: vxlan, vxlan: {vni: 42, remotes: [10.0.0.2]}, policy: {delay: 20ms, impair-direction: both}}
            """)
        #expect(impaired.contains { $0.hasPrefix("4:") && $0.contains("port vx42 of bridge br0: impairments toward a vxlan port (--impair-direction both) do not apply") }, "\(impaired)")
        // Frames from the port may be impaired, and the port policed.
        #expect(problems("""
            bridges:
              br0:
                ports:
                  vx42:
                    type: vxlan
                    vxlan: {vni: 42, remotes: [10.0.0.2]}
                    policy: {delay: 20ms, impair-direction: in, ingress-rate: 100mbit}
            """).isEmpty)
    }
}
