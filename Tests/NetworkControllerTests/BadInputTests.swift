import TapestryModel
import Testing
@testable import NetworkController

private func message(_ xml: String) -> String? {
    do {
        _ = try NetworkXMLParser.parse(xml)
        return nil
    } catch let e as NetworkXMLError {
        return e.message
    } catch {
        return "unexpected error type: \(error)"
    }
}

private func network(_ body: String, forward: String = "<forward mode='nat'/>") -> String {
    "<network><name>t</name>\(forward)<bridge name='tbr0'/>\(body)</network>"
}

@Test func rejectsMalformedXML() {
    let m = message("<network><name>t</name>")
    #expect(m?.hasPrefix("invalid network XML: not well-formed XML") == true, "\(m ?? "accepted")")
    #expect(message("<domain><name>t</name></domain>") == "invalid network XML: root element is <domain>, expected <network>")
    #expect(message("<network><uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid></network>") == "invalid network XML: <network>: missing <name>")
}

@Test func rejectsBadIPAddress() {
    #expect(message(network("<ip address='x'/>")) == "invalid network XML: <ip address='x'>: not an IP address")
    #expect(message(network("<ip address='192.168.1.300' prefix='24'/>")) == "invalid network XML: <ip address='192.168.1.300'>: not an IP address")
    #expect(message(network("<ip family='ipv6' address='10.0.0.1' prefix='64'/>")) == "invalid network XML: <ip address='10.0.0.1'>: family 'ipv6' specified for a non-IPv6 address")
}

@Test func rejectsPrefixOutOfRange() {
    #expect(message(network("<ip address='10.0.0.1' prefix='33'/>")) == "invalid network XML: <ip prefix='33'>: IPv4 prefix out of range 0-32")
    #expect(message(network("<ip family='ipv6' address='fd00::1' prefix='129'/>")) == "invalid network XML: <ip prefix='129'>: IPv6 prefix out of range 0-128")
    #expect(message(network("<ip address='10.0.0.1' netmask='255.0.255.0'/>")) == "invalid network XML: <ip netmask='255.0.255.0'>: not a valid IPv4 netmask")
}

@Test func rejectsDHCPRangeOutsideSubnet() {
    let xml = network("<ip address='192.168.122.1' prefix='24'><dhcp><range start='10.0.0.10' end='10.0.0.100'/></dhcp></ip>")
    #expect(message(xml) == "invalid network XML: <range start='10.0.0.10' end='10.0.0.100'>: range is not within network 192.168.122.0/24")
    let reversed = network("<ip address='192.168.122.1' prefix='24'><dhcp><range start='192.168.122.100' end='192.168.122.10'/></dhcp></ip>")
    #expect(message(reversed) == "invalid network XML: <range start='192.168.122.100' end='192.168.122.10'>: start is after end")
}

@Test func rejectsDuplicateHosts() {
    let dupMAC = network("""
        <ip address='192.168.122.1' prefix='24'><dhcp>
          <host mac='52:54:00:00:00:05' name='a' ip='192.168.122.5'/>
          <host mac='52:54:00:00:00:05' name='b' ip='192.168.122.6'/>
        </dhcp></ip>
        """)
    #expect(message(dupMAC) == "invalid network XML: <host mac='52:54:00:00:00:05'>: duplicate DHCP host MAC address")
    let dupIP = network("""
        <ip address='192.168.122.1' prefix='24'><dhcp>
          <host mac='52:54:00:00:00:05' name='a' ip='192.168.122.5'/>
          <host mac='52:54:00:00:00:06' name='b' ip='192.168.122.5'/>
        </dhcp></ip>
        """)
    #expect(message(dupIP) == "invalid network XML: <host ip='192.168.122.5'>: duplicate DHCP host IP address")
    let dupIface = network("<ip address='10.0.0.1' prefix='24'/>",
                           forward: "<forward mode='passthrough'><interface dev='eth1'/><interface dev='eth1'/></forward>")
    #expect(message(dupIface)?.contains("interface can only be listed once") == true)
}

@Test func rejectsUnknownForwardMode() {
    #expect(message(network("<ip address='10.0.0.1' prefix='24'/>", forward: "<forward mode='tunnel'/>"))
            == "invalid network XML: <forward mode='tunnel'>: unknown forward mode")
    #expect(message(network("", forward: "<forward mode='route'/>"))
            == "invalid network XML: <forward mode='route'>: route forwarding requested, but no IP address provided")
}

@Test func rejectsOtherBadValues() {
    #expect(message(network("<mac address='01:00:5e:00:00:01'/><ip address='10.0.0.1'/>")) == "invalid network XML: <mac address='01:00:5e:00:00:01'>: bridge MAC address must not be multicast")
    #expect(message(network("<ip address='10.0.0.1' prefix='24'><dhcp><host mac='zz' ip='10.0.0.5'/></dhcp></ip>")) == "invalid network XML: <host mac='zz'>: not a MAC address")
    #expect(message(network("<dns enable='no'><txt name='a' value='b'/></dns><ip address='10.0.0.1'/>")) == "invalid network XML: <dns enable='no'>: extra data in disabled DNS of network 't'")
    #expect(message(network("<ip address='10.0.0.1' prefix='24'/>", forward: "<forward mode='nat'><nat><port start='2000' end='1000'/></nat></forward>")) == "invalid network XML: <port start='2000' end='1000'>: missing or invalid end port")
}

@Test func keepsUnknownElementsAndRoundTrips() throws {
    let xml = """
        <network>
          <name>keep</name>
          <forward mode='bridge'/>
          <bridge name='br0'/>
          <tapestry:extra xmlns:tapestry='urn:example' level='3'>
            <item key='a'>value</item>
          </tapestry:extra>
        </network>

        """
    let def = try NetworkXMLParser.parse(xml)
    #expect(def.unknownElements.count == 1)
    #expect(NetworkXMLWriter.write(def) == xml)
    #expect(def.uuid == nil && def.mac == nil)
}

@Test func fillingDefaultsGeneratesUUIDMACAndBridge() throws {
    let def = try NetworkXMLParser.parse("<network><name>d</name><ip address='10.1.0.1' prefix='24'/></network>")
    #expect(NetworkXMLWriter.write(def).contains("<uuid>") == false)
    let filled = def.fillingDefaults(usedBridgeNames: ["virbr0", "virbr1"])
    let uuid = try #require(filled.uuid)
    let chars = Array(uuid)
    #expect(chars.count == 36 && chars[14] == "4" && "89ab".contains(chars[19]) && uuid == uuid.lowercased())
    #expect(filled.mac?.octets.prefix(3) == [0x52, 0x54, 0x00])
    #expect(filled.bridge.name == "virbr2")
    let reparsed = try NetworkXMLParser.parse(NetworkXMLWriter.write(filled))
    #expect(NetworkXMLWriter.write(reparsed) == NetworkXMLWriter.write(filled))
    #expect(reparsed.uuid == filled.uuid && reparsed.mac == filled.mac)
}

@Test func updateAddsDHCPHostAndRefusesDuplicates() throws {
    var def = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/nat-network.xml"))
    try def.update(command: .add, section: .ipDHCPHost, xml: "<host mac='52:54:00:00:00:05' name='db' ip='192.168.122.5'/>")
    #expect(def.ips[0].dhcpHosts.last?.name == "db")
    #expect(DnsmasqConfigRenderer.hostsFile(for: def).contains("52:54:00:00:00:05,192.168.122.5,db\n"))
    let before = def
    #expect(throws: NetworkXMLError.update("default", "ip-dhcp-host",
                                           "there is an existing dhcp host entry that matches <host mac='52:54:00:00:00:05' name='db2' ip='192.168.122.5'/>")) {
        try def.update(command: .add, section: .ipDHCPHost, xml: "<host mac='52:54:00:00:00:05' name='db2' ip='192.168.122.5'/>")
    }
    #expect(def == before)
}
