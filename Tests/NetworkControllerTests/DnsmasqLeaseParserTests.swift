import TapestryModel
import Testing
@testable import NetworkController

@Suite("dnsmasq lease file and RA choice")
struct DnsmasqLeaseParserTests {
    @Test func parsesIPv4AndIPv6LeasesAndSkipsJunk() {
        let text = """
            1795771186 52:54:00:00:00:05 192.168.122.5 db 01:52:54:00:00:00:05
            1795771190 52:54:00:AA:BB:CC 192.168.122.77 * *
            garbage line
            duid 00:01:00:01:2c:5b:3f:1e:52:54:00:12:34:56
            1795771200 1234567 fd00:122::50 vm6 00:04:aa:bb
            """
        let leases = DnsmasqLeaseParser.parse(text)
        #expect(leases.count == 3)
        #expect(leases[0] == DnsmasqLease(expiry: 1795771186, mac: "52:54:00:00:00:05", iaid: nil, address: IPAddress("192.168.122.5")!,
                                          hostname: "db", clientID: "01:52:54:00:00:00:05"))
        #expect(leases[1].mac == "52:54:00:aa:bb:cc" && leases[1].hostname == nil && leases[1].clientID == nil)
        #expect(leases[2].mac == nil && leases[2].iaid == "1234567" && leases[2].address.family == .ipv6 && leases[2].clientID == "00:04:aa:bb")
        #expect(DnsmasqLeaseParser.parse("").isEmpty)
    }

    @Test func radvdModeLeavesRouterAdvertisementsOutOfDnsmasq() throws {
        let def = try NetworkXMLParser.parse("""
            <network><name>v6</name><forward mode='nat'/><bridge name='virbr6'/>
              <ip address='192.168.170.1' prefix='24'><dhcp><range start='192.168.170.2' end='192.168.170.9'/></dhcp></ip>
              <ip family='ipv6' address='fd00:170::1' prefix='64'/>
            </network>
            """)
        var context = DnsmasqRenderContext.tapestry(network: "v6", stateDirectory: "/s")
        let withRA = DnsmasqConfigRenderer.config(for: def, context: context)
        #expect(withRA.contains("dhcp-range=fd00:170::1,ra-only"))
        context.routerAdvertisements = false
        let withoutRA = DnsmasqConfigRenderer.config(for: def, context: context)
        #expect(!withoutRA.contains("ra-only") && !withoutRA.contains("enable-ra"))
        #expect(withoutRA.contains("dhcp-range=192.168.170.2,192.168.170.9,255.255.255.0"))
    }
}
