import Foundation
import TapestryModel
import Testing

@Suite("Networks in the desired state")
struct NetworkRecordTests {
    let uuid = "7a70c5ed-291f-4db8-b351-9479714689c2"

    @Test func olderConfigWithoutNetworksDecodesToNone() throws {
        let json = #"{"formatVersion":1,"generation":3,"bridges":[]}"#
        let s = try JSONDecoder().decode(DesiredState.self, from: Data(json.utf8))
        #expect(s.networks.isEmpty && s.generation == 3)
    }

    @Test func networksRoundTripAndValidate() throws {
        let r = NetworkRecord(name: "default", uuid: uuid, bridge: "virbr0", xml: "<network/>", liveXML: "<network/>",
                              persistent: true, autostart: true, active: true)
        let port = PortConfig(name: "virbr0", type: .internal)
        let s = DesiredState(generation: 1, bridges: [BridgeConfig(name: "virbr0", ports: [port])], networks: [r])
        try s.validate()  // the internal port may carry its own bridge's name
        let back = try JSONDecoder().decode(DesiredState.self, from: try JSONEncoder().encode(s))
        #expect(back == s)
        #expect(back.network(named: "default") == r && back.network(onBridge: "virbr0") == r)
    }

    @Test func refusesClashesAndBadRecords() {
        let a = NetworkRecord(name: "a", uuid: uuid, bridge: "virbr0", xml: "", persistent: true)
        var b = NetworkRecord(name: "b", uuid: uuid.uppercased(), bridge: "virbr1", xml: "", persistent: true)
        #expect(throws: ModelError.self) { try DesiredState(networks: [a, b]).validate() }
        b.uuid = "00000000-0000-0000-0000-000000000001"
        b.bridge = "virbr0"
        #expect(throws: ModelError.self) { try DesiredState(networks: [a, b]).validate() }
        #expect(throws: ModelError.self) { try NetworkRecord(name: "x/y", uuid: uuid, bridge: nil, xml: "", persistent: true).validate() }
        #expect(throws: ModelError.self) { try NetworkRecord(name: "t", uuid: uuid, bridge: nil, xml: "", persistent: false).validate() }
        // A port named like another bridge is still refused.
        let s = DesiredState(bridges: [BridgeConfig(name: "br0"), BridgeConfig(name: "br1", ports: [PortConfig(name: "br0", type: .tap)])])
        #expect(throws: ModelError.self) { try s.validate() }
    }
}
