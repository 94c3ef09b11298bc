import ControlProtocol
import Foundation
@testable import OVSCompat
import TapestryModel
import Testing

/// OVS's rate columns become Tapestry's port policy, and add-br brings its local port.
struct PolicyMappingTests {
    static let ids = ["external-ids:vm-id=\"11111111-2222-3333-4444-555555555501\"", "external-ids:ifname=\"vnet0\""]

    func vnet0(policy: PortPolicy? = nil) -> OVSDatabase {
        var p = PortConfig(name: "vnet0", type: .system, vlan: VLANID(10))
        p.policy = policy
        return database([BridgeConfig(name: "br0", ports: [p])])
    }

    @Test func ingressPolicingPolicesWhatTheVMSends() throws {
        var db = vnet0()
        let r = try run(&db, ["--timeout=5", "set", "Interface", "vnet0", "ingress_policing_rate=4000", "ingress_policing_burst=2048"])
        // kbit/s and kbit as OVS counts them: 4000 kbit/s = 4 Mbit/s, 2048 kbit = 256000 bytes.
        #expect(port(db, "vnet0")?.policy?.ingressRate == 4_000_000)
        #expect(port(db, "vnet0")?.policy?.ingressBurst == 256_000)
        let json = String(decoding: try JSONEncoder().encode(r.operations), as: UTF8.self)
        #expect(r.operations.count == 1 && r.operations[0].method == Methods.SetPort.name && json.contains("4000000"), "\(json)")
        try run(&db, ["set", "Interface", "vnet0", "ingress_policing_rate=0", "ingress_policing_burst=0"])
        #expect(port(db, "vnet0")?.policy == nil)
    }

    @Test func htbMaxRateShapesWhatTheVMReceivesUntilTheQoSIsRemoved() throws {
        var db = vnet0()
        try run(&db, ["--timeout=5", "set", "port", "vnet0", "qos=@qos1"] + Self.ids + ["--", "--id=@qos1", "create", "qos", "type=linux-htb",
                      "other_config:min-rate=8000000", "other_config:burst=8388608", "other_config:max-rate=16000000", "queues:0=@queue0"]
                      + Self.ids + ["--", "--id=@queue0", "create", "queue", "other_config:min-rate=8000000", "other_config:burst=8388608",
                      "other_config:max-rate=16000000"] + Self.ids)
        let p = try #require(port(db, "vnet0"))
        #expect(p.policy?.egressRate == 16_000_000 && p.policy?.egressBurst == 1_048_576, "\(String(describing: p.policy))")
        #expect(p.vlanMode == .access(VLANID(10)!))
        let qos = try #require(p.ovs?.qos)
        try run(&db, ["remove", "port", "vnet0", "qos", qos])
        #expect(port(db, "vnet0")?.policy == nil)
    }

    @Test func ratesSetWithTapestryStayThroughAVLANChange() throws {
        var own = PortPolicy()
        own.ingressRate = 1_000_000
        var db = vnet0(policy: own)
        try run(&db, ["--if-exists", "clear", "Port", "vnet0", "tag", "--", "--if-exists", "set", "Port", "vnet0", "tag=20"])
        #expect(port(db, "vnet0")?.policy?.ingressRate == 1_000_000)
        #expect(port(db, "vnet0")?.vlanMode == .access(VLANID(20)!))
    }

    @Test func unsupportedQoSTypeIsRefused() throws {
        var db = vnet0()
        #expect(throws: OVSError.self) {
            try run(&db, ["set", "port", "vnet0", "qos=@q", "--", "--id=@q", "create", "qos", "type=linux-sfq", "other_config:max-rate=1000"])
        }
        #expect(port(db, "vnet0")?.ovs?.qos == nil)
    }

    @Test func addBrComesWithItsLocalPort() throws {
        var db = database([])
        let r = try run(&db, ["add-br", "br1"])
        #expect(r.operations.map(\.method) == [Methods.AddBridge.name], "\(r.operations)")
        let params = try JSONDecoder().decode(AddBridgeParams.self, from: JSONEncoder().encode(r.operations[0].params))
        #expect(params.localPort == true)
        #expect(port(db, "br1")?.type == .internal)
        #expect(try run(&db, ["list-ports", "br1"]).output == "")
        #expect(throws: OVSError.self) { try run(&db, ["del-port", "br1", "br1"]) }
    }
}

extension PolicyMappingTests {
    @Test func changingTheQoSRowReshapesThePort() throws {
        var db = vnet0()
        try run(&db, ["set", "port", "vnet0", "qos=@q", "--", "--id=@q", "create", "qos", "type=linux-htb", "other_config:max-rate=16000000"])
        let qos = try #require(port(db, "vnet0")?.ovs?.qos)
        let r = try run(&db, ["set", "qos", qos, "other_config:max-rate=32000000"])
        #expect(r.operations.contains { $0.method == Methods.SetPort.name }, "\(r.operations.map(\.method))")
        #expect(port(db, "vnet0")?.policy?.egressRate == 32_000_000)
        // A query changes nothing.
        #expect(try run(&db, ["get", "qos", qos, "other_config:max-rate"]).operations.isEmpty)
    }
}
