import NetworkController
import TapestryModel
import Testing

@Suite("what a network's XML gives the ports added to it")
struct NetworkPortSettingsTests {
    static let bridgeNetwork = """
        <network>
          <name>lan</name>
          <forward mode='bridge'/>
          <bridge name='br0'/>
          <port isolated='yes'/>
          <vlan><tag id='30'/></vlan>
          <portgroup name='v10' default='yes'><vlan><tag id='10'/></vlan></portgroup>
          <portgroup name='v20'><vlan><tag id='20'/></vlan><bandwidth><inbound average='100'/></bandwidth></portgroup>
          <portgroup name='trunk'><vlan trunk='yes'><tag id='10' nativeMode='untagged'/><tag id='20'/></vlan></portgroup>
          <portgroup name='plain'/>
        </network>
        """

    func settings(_ xml: String, _ group: String? = nil) throws -> NetworkPortSettings {
        try NetworkPortSettings.settings(for: try NetworkXMLParser.parse(xml), portGroup: group)
    }

    @Test func portgroupVLANsWinOverTheNetworksAndIsolationHolds() throws {
        let dflt = try settings(Self.bridgeNetwork)
        #expect(dflt.isolated && dflt.vlan == PortVLAN(access: VLANID(10)!) && dflt.bandwidth == nil)
        let v20 = try settings(Self.bridgeNetwork, "v20")
        #expect(v20.vlan == PortVLAN(access: VLANID(20)!) && v20.bandwidth?.element(named: "inbound") != nil)
        // A portgroup without a VLAN: the network's own.
        #expect(try settings(Self.bridgeNetwork, "plain").vlan == PortVLAN(access: VLANID(30)!))
        let trunk = try #require(try settings(Self.bridgeNetwork, "trunk").vlan)
        #expect(trunk.trunk == VLANSet([VLANID(10)!, VLANID(20)!]) && trunk.native == VLANID(10)! && trunk.nativeMode == .untagged)
        let port = trunk.applied(to: PortConfig(name: "vm1", type: .tap, vlan: VLANID(5)))
        #expect(port.vlanMode == .trunk(allowed: VLANSet([VLANID(10)!, VLANID(20)!]), native: VLANID(10)!, nativeMode: .untagged))
    }

    @Test func anUnknownPortgroupIsRefusedWithTheNames() throws {
        #expect(throws: NetworkXMLError(message: "network lan has no portgroup 'v99' (it has v10, v20, trunk, plain)")) {
            try settings(Self.bridgeNetwork, "v99")
        }
    }

    @Test func vlansApplyToBridgeModeOnlyAndAreNotedElsewhere() throws {
        let nat = """
            <network><name>n</name><forward mode='nat'/><bridge name='virbr9'/><vlan><tag id='10'/></vlan>
            <port isolated='yes'/><ip address='10.9.0.1' prefix='24'/></network>
            """
        let s = try settings(nat)
        #expect(s.vlan == nil && s.isolated)
        let notes = try NetworkXMLParser.parse(nat).settingsNotActedOn
        #expect(notes == ["<vlan>: kept; VLANs are given to ports of networks of forward mode 'bridge' only"])
        #expect(try NetworkXMLParser.parse(Self.bridgeNetwork).settingsNotActedOn.isEmpty)
    }

    @Test func badVLANsAreRefusedLikeLibvirtDoes() throws {
        func message(_ vlan: String) -> String? {
            do {
                try NetworkPortSettings.validate(try NetworkXMLParser.parse(
                    "<network><name>b</name><forward mode='bridge'/><bridge name='br0'/>\(vlan)</network>"))
                return nil
            } catch { return "\(error)" }
        }
        #expect(message("<vlan><tag id='4095'/></vlan>") == "invalid network XML: <vlan>: <tag id='4095'>: Tapestry takes VLAN ids 1-4094")
        #expect(message("<vlan trunk='no'><tag id='1'/><tag id='2'/></vlan>")
                    == "invalid network XML: <vlan>: trunk='yes' is required for more than one VLAN tag")
        #expect(message("<vlan><tag id='1' nativeMode='x'/></vlan>") == "invalid network XML: <vlan>: <tag nativeMode='x'>: expected 'tagged' or 'untagged'")
        #expect(message("<portgroup name='p'><vlan/></portgroup>") == "invalid network XML: <portgroup name='p'><vlan>: no <tag id=…> in <vlan>")
        #expect(message("<vlan><tag id='7'/></vlan>") == nil)
    }

    @Test func anUplinkBesideABridgeNameIsTakenInBridgeModeOnly() throws {
        let def = try NetworkXMLParser.parse("""
            <network><name>up</name><forward mode='bridge'><interface dev='eth1'/></forward><bridge name='br0'/></network>
            """)
        #expect(def.attachedBridge == "br0" && def.forward.interfaces == ["eth1"])
        #expect(NetworkXMLWriter.write(def).contains("<interface dev='eth1'/>"))
        #expect(throws: NetworkXMLError.self) {
            try NetworkXMLParser.parse("""
                <network><name>up</name><forward mode='bridge'><interface dev='eth1'/><interface dev='eth2'/></forward><bridge name='br0'/></network>
                """)
        }
    }

    @Test func keptButNotActedOnIsListed() throws {
        let def = try NetworkXMLParser.parse("""
            <network trustGuestRxFilters='yes'><name>k</name><forward mode='bridge'/><bridge name='br0' macTableManager='libvirt'/>
            <virtualport type='openvswitch'/><bandwidth><inbound average='10' floor='5'/></bandwidth>
            <portgroup name='p'><virtualport><parameters profileid='x'/></virtualport></portgroup></network>
            """)
        #expect(def.settingsNotActedOn == [
            "<bridge macTableManager='libvirt'>: kept; a Tapestry bridge learns MAC addresses itself",
            "trustGuestRxFilters='yes': kept; Tapestry has no guest receive filters",
            "<virtualport type='openvswitch'>: kept for libvirt; a Tapestry bridge needs no virtual port profile",
            "<portgroup name='p'><virtualport>: kept for libvirt; Tapestry uses no port profiles",
            "<bandwidth> floor: kept; a guaranteed minimum is not enforced (average, peak and burst are)",
        ])
        let macvtap = try NetworkXMLParser.parse("<network><name>m</name><forward mode='bridge' dev='eth0'/></network>")
        #expect(macvtap.settingsNotActedOn.first?.hasPrefix("<forward mode='bridge'> without <bridge name=…>") == true)
    }
}
