import Foundation
import TapestryModel
import Testing

@Suite("DesiredState JSON (config.json)")
struct DesiredStateCodingTests {
    func rich() throws -> DesiredState {
        try DesiredState()
            .addingBridge(BridgeConfig(name: "br0", mode: .learning, macAging: 120, macTableSize: 4096))
            .addingPort(PortConfig(name: "vm1", type: .tap, vlan: VLANID(10), isolated: true, netns: "vm1", mtu: 9000,
                                   mac: MACAddress("52:54:00:00:00:01")), to: "br0")
            .addingPort(PortConfig(name: "trunk0", type: .tap, trunk: try VLANSet.parse("10,20-22"), native: VLANID(1),
                                   nativeMode: .tagged), to: "br0")
            .addingPort(PortConfig(name: "gw10", type: .internal, vlan: VLANID(10)), to: "br0")
            .addingPort(PortConfig(name: "up0", type: .system), to: "br0")
            .addingStaticMAC(StaticMAC(mac: MACAddress("52:54:00:aa:bb:cc")!, vlan: VLANID(10)!, port: "vm1"), to: "br0")
            .addingBridge(BridgeConfig(name: "lab", mode: .hub))
    }

    @Test func roundTrip() throws {
        let s = try rich()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(s)
        let back = try JSONDecoder().decode(DesiredState.self, from: data)
        #expect(back == s)
        try back.validate()
        // Encoding is stable.
        #expect(try encoder.encode(back) == data)
        for br in back.bridges { for p in br.ports { #expect(p.vlanMode == s.bridge(named: br.name)!.port(named: p.name)!.vlanMode) } }
    }

    @Test func valuesAreWrittenAsUsersReadThem() throws {
        let data = try JSONEncoder().encode(try rich())
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(obj["formatVersion"] as? Int == DesiredState.formatVersion)
        let br0 = try #require((obj["bridges"] as? [[String: Any]])?.first)
        #expect(br0["mode"] as? String == "learning")
        let ports = try #require(br0["ports"] as? [[String: Any]])
        #expect(ports[0]["vlan"] as? Int == 10)
        #expect(ports[0]["mac"] as? String == "52:54:00:00:00:01")
        #expect(ports[1]["trunk"] as? String == "10,20-22")
        #expect(ports[1]["nativeMode"] as? String == "tagged")
        #expect(ports[2]["type"] as? String == "internal")
    }

    let validJSON = #"""
    {"formatVersion": 1, "generation": 3, "bridges": [
      {"name": "br0", "mode": "learning", "macAging": 300, "macTableSize": 8192, "staticMACs": [],
       "ports": [{"name": "vm1", "type": "tap", "vlan": VLANVALUE, "isolated": false},
                 {"name": "t0", "type": "tap", "trunk": "TRUNKVALUE", "isolated": false}]}]}
    """#

    func decode(vlan: String = "10", trunk: String = "10,20") throws -> DesiredState {
        let text = validJSON.replacingOccurrences(of: "VLANVALUE", with: vlan).replacingOccurrences(of: "TRUNKVALUE", with: trunk)
        return try JSONDecoder().decode(DesiredState.self, from: Data(text.utf8))
    }

    @Test func decodesAHandWrittenConfig() throws {
        let s = try decode()
        #expect(s.generation == 3)
        #expect(s.bridge(named: "br0")?.port(named: "vm1")?.vlanMode == .access(VLANID(10)!))
        #expect(s.bridge(named: "br0")?.port(named: "t0")?.trunk == (try VLANSet.parse("10,20")))
        try s.validate()
    }

    @Test(arguments: ["0", "4095", "4096", "-1", "\"10\"", "null"])
    func invalidAccessVLANFailsToDecode(vlan: String) throws {
        if vlan == "null" {  // null simply means "not set": a trunk-of-all port
            #expect(try decode(vlan: vlan).bridges[0].ports[0].vlan == nil)
            return
        }
        #expect(throws: DecodingError.self) { try decode(vlan: vlan) }
    }

    @Test(arguments: ["10,4095", "0", "", "20-10", "x", "1-4096"])
    func invalidTrunkFailsToDecode(trunk: String) {
        #expect(throws: DecodingError.self) { try decode(trunk: trunk) }
    }

    @Test func unknownEnumValuesFailToDecode() {
        let badMode = validJSON.replacingOccurrences(of: "\"learning\"", with: "\"switching\"")
            .replacingOccurrences(of: "VLANVALUE", with: "10").replacingOccurrences(of: "TRUNKVALUE", with: "10")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DesiredState.self, from: Data(badMode.utf8)) }
        let badType = validJSON.replacingOccurrences(of: "\"tap\"", with: "\"veth\"")
            .replacingOccurrences(of: "VLANVALUE", with: "10").replacingOccurrences(of: "TRUNKVALUE", with: "10")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DesiredState.self, from: Data(badType.utf8)) }
    }

    @Test func decodedButInvalidStateIsCaughtByValidate() throws {
        // A duplicate port decodes (JSON is structurally fine) but validate() refuses it.
        let dup = validJSON.replacingOccurrences(of: "\"t0\"", with: "\"vm1\"")
            .replacingOccurrences(of: "VLANVALUE", with: "10").replacingOccurrences(of: "TRUNKVALUE", with: "10")
        let s = try JSONDecoder().decode(DesiredState.self, from: Data(dup.utf8))
        #expect(throws: ModelError.self) { try s.validate() }
    }
}
