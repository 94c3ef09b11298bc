import TapestryModel
import Testing

@Suite("PortConfig and VLANMode")
struct PortConfigTests {
    let v10 = VLANID(10)!, v1 = VLANID(1)!

    @Test func noVLANSettingsMeansAllVLANsNative1Untagged() {
        let p = PortConfig(name: "p", type: .tap)
        #expect(p.vlanMode == .trunk(allowed: .all, native: v1, nativeMode: .untagged))
        #expect(p.vlanMode == VLANMode.default)
        #expect(p.vlanSummary == "trunk all native 1")
    }

    @Test func accessPort() {
        let p = PortConfig(name: "p", type: .tap, vlan: v10)
        #expect(p.vlanMode == .access(v10))
        #expect(p.vlanSummary == "access 10")
    }

    @Test func trunkWithoutNative() throws {
        let p = PortConfig(name: "p", type: .tap, trunk: try VLANSet.parse("10,20-22"))
        #expect(p.vlanMode == .trunk(allowed: try VLANSet.parse("10,20-22"), native: nil, nativeMode: .untagged))
        #expect(p.vlanSummary == "trunk 10,20-22")
    }

    @Test func trunkWithNativeTagged() throws {
        let p = PortConfig(name: "p", type: .tap, trunk: try VLANSet.parse("10,20"), native: v1, nativeMode: .tagged)
        #expect(p.vlanMode == .trunk(allowed: try VLANSet.parse("10,20"), native: v1, nativeMode: .tagged))
        #expect(p.vlanSummary == "trunk 10,20 native 1 tagged")
    }

    @Test func nativeAloneIsATrunkOfEveryVLAN() {
        let p = PortConfig(name: "p", type: .tap, native: v10)
        #expect(p.vlanMode == .trunk(allowed: .all, native: v10, nativeMode: .untagged))
        #expect(p.vlanSummary == "trunk all native 10")
    }

    @Test func validPortsPass() throws {
        try PortConfig(name: "vm1", type: .tap, vlan: v10, isolated: true, netns: "vm1", mtu: 9000,
                       mac: MACAddress("52:54:00:00:00:01")).validate()
        try PortConfig(name: "gw10", type: .internal, vlan: v10, mtu: 1500).validate()
        try PortConfig(name: "up0", type: .system, trunk: .all).validate()
    }

    @Test(arguments: [
        PortConfig(name: "p", type: .tap, vlan: VLANID(10), trunk: VLANSet([VLANID(20)!])),
        PortConfig(name: "p", type: .tap, vlan: VLANID(10), native: VLANID(1)),
        PortConfig(name: "p", type: .tap, vlan: VLANID(10), nativeMode: .tagged),
        PortConfig(name: "p", type: .tap, trunk: VLANSet()),
        PortConfig(name: "p", type: .internal, netns: "ns1"),
        PortConfig(name: "p", type: .system, netns: "ns1"),
        PortConfig(name: "p", type: .tap, netns: "a/b"),
        PortConfig(name: "p", type: .tap, mtu: 67),
        PortConfig(name: "p", type: .tap, mtu: 65522),
        PortConfig(name: "p", type: .system, mtu: 1500),
        PortConfig(name: "p", type: .system, mac: MACAddress("52:54:00:00:00:01")),
        PortConfig(name: "p", type: .tap, mac: MACAddress("01:00:5e:00:00:01")),
        PortConfig(name: "p", type: .tap, mac: MACAddress.zero),
        PortConfig(name: "sixteen-bytes-xx", type: .tap),
        PortConfig(name: "a:b", type: .tap),
    ])
    func invalidPortsAreRefused(port: PortConfig) {
        #expect(throws: ModelError.self) { try port.validate() }
    }

    @Test(arguments: [68, 1500, 9000, 65521])
    func mtuBounds(mtu: Int) throws {
        try PortConfig(name: "p", type: .tap, mtu: mtu).validate()
    }
}

@Suite("BridgeConfig")
struct BridgeConfigTests {
    @Test func defaults() {
        let b = BridgeConfig(name: "br0")
        #expect(b.mode == .learning && b.macAging == 300 && b.macTableSize == 8192)
        #expect(b.ports.isEmpty && b.staticMACs.isEmpty)
    }

    @Test func validBridgePasses() throws {
        try BridgeConfig(name: "br0", mode: .hub, macAging: 10, macTableSize: 16,
                         ports: [PortConfig(name: "p1", type: .tap)],
                         staticMACs: [StaticMAC(mac: MACAddress("52:54:00:00:00:01")!, vlan: VLANID(1)!, port: "p1")]).validate()
    }

    @Test(arguments: [
        BridgeConfig(name: ""),
        BridgeConfig(name: "br/0"),
        BridgeConfig(name: "br0", macAging: 9),
        BridgeConfig(name: "br0", macAging: 1_000_001),
        BridgeConfig(name: "br0", macTableSize: 15),
        BridgeConfig(name: "br0", macTableSize: 1_000_001),
        BridgeConfig(name: "br0", ports: [PortConfig(name: "p", type: .tap), PortConfig(name: "p", type: .system)]),
        BridgeConfig(name: "br0", ports: [PortConfig(name: "p", type: .tap)],
                     staticMACs: [StaticMAC(mac: MACAddress("52:54:00:00:00:01")!, vlan: VLANID(1)!, port: "q")]),
        BridgeConfig(name: "br0", ports: [PortConfig(name: "p", type: .tap)],
                     staticMACs: [StaticMAC(mac: .broadcast, vlan: VLANID(1)!, port: "p")]),
        BridgeConfig(name: "br0", ports: [PortConfig(name: "p", type: .tap, mtu: 1)]),
    ])
    func invalidBridgesAreRefused(bridge: BridgeConfig) {
        #expect(throws: ModelError.self) { try bridge.validate() }
    }

    @Test func portLookup() {
        let b = BridgeConfig(name: "br0", ports: [PortConfig(name: "p1", type: .tap), PortConfig(name: "p2", type: .internal)])
        #expect(b.port(named: "p2")?.type == .internal)
        #expect(b.port(named: "p3") == nil)
    }
}
