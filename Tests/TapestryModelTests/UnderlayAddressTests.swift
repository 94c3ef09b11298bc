import Foundation
import TapestryModel
import Testing

/// Tunnel underlay addresses: IPv4 or IPv6 in one type, parsed strictly, one family per vxlan port.
@Suite("Underlay addresses")
struct UnderlayAddressTests {
    @Test func strictParsingAcceptsBothFamiliesAndNothingAmbiguous() {
        #expect(IPAddress(strict: "10.0.0.2") == IPAddress(ipv4: 0x0A00_0002))
        #expect(IPAddress(strict: "2001:db8::2")?.description == "2001:db8::2")
        #expect(IPAddress(strict: "2001:DB8:0:0:0:0:0:2")?.description == "2001:db8::2")
        for bad in ["", "010.0.0.2", "10.0.0", "10.0.0.256", "2001:db8::g", "2001:db8:::2", "1::2::3", "fe80::1%eth0", "host"] {
            #expect(IPAddress(strict: bad) == nil, "\(bad)")
        }
        #expect(IPAddress(strict: "ff02::1")?.isMulticast == true && IPAddress(strict: "239.1.1.1")?.isMulticast == true)
        #expect(IPAddress(strict: "::")?.isUnspecified == true && IPAddress(strict: "2001:db8::1")?.isMulticast == false)
        #expect(IPAddress.unspecified(.ipv6).description == "::" && IPAddress.unspecified(.ipv4).description == "0.0.0.0")
    }

    @Test func jsonKeepsTheIPv4TextAndCarriesIPv6() throws {
        // A config or an etcd record written before IPv6 underlays reads as before.
        let old = Data(#"{"vni":42,"remotes":["10.0.0.2","10.0.0.3"],"local":"10.0.0.1","dstPort":4789}"#.utf8)
        let v = try JSONDecoder().decode(VXLANConfig.self, from: old)
        #expect(v.remotes == [IPAddress(ipv4: 0x0A00_0002), IPAddress(ipv4: 0x0A00_0003)] && v.local == IPAddress(ipv4: 0x0A00_0001))
        let again = try JSONDecoder().decode(VXLANConfig.self, from: try JSONEncoder().encode(v))
        #expect(again == v)
        let six = VXLANConfig(vni: 7, remotes: [IPAddress(strict: "2001:db8::2")!], local: IPAddress(strict: "2001:db8::1"))
        let text = String(decoding: try JSONEncoder().encode(six), as: UTF8.self)
        #expect(text.contains(#""2001:db8::2""#) && text.contains(#""local":"2001:db8::1""#), "\(text)")
        #expect(try JSONDecoder().decode(VXLANConfig.self, from: Data(text.utf8)) == six)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(VXLANConfig.self, from: Data(#"{"vni":1,"remotes":["2001:db8::zz"],"dstPort":4789}"#.utf8))
        }
    }

    @Test func aVXLANPortsUnderlayIsOneFamily() throws {
        let v6 = IPAddress(strict: "2001:db8::2")!, v4 = IPAddress(strict: "10.0.0.2")!
        try VXLANConfig(vni: 42, remotes: [v6], local: IPAddress(strict: "2001:db8::1")).validate(port: "vx0")
        try VXLANConfig(vni: 42, remotes: [v6, IPAddress(strict: "2001:db8::3")!]).validate(port: "vx0")
        #expect(VXLANConfig(vni: 42, remotes: [v6]).underlayFamily == .ipv6)
        #expect(VXLANConfig(vni: 42, remotes: [v4]).underlayFamily == .ipv4)

        func refusal(_ v: VXLANConfig) -> String {
            do { try v.validate(port: "vx0"); return "" } catch { return error.description }
        }
        let mixedLocal = refusal(VXLANConfig(vni: 42, remotes: [v6], local: IPAddress(strict: "10.0.0.1")))
        #expect(mixedLocal.contains("vx0") && mixedLocal.contains("2001:db8::2") && mixedLocal.contains("local 10.0.0.1")
                && mixedLocal.contains("one address family"), "\(mixedLocal)")
        let mixedRemotes = refusal(VXLANConfig(vni: 42, remotes: [v4, v6]))
        #expect(mixedRemotes.contains("remote 2001:db8::2 is IPv6 but remote 10.0.0.2 is IPv4"), "\(mixedRemotes)")
        #expect(refusal(VXLANConfig(vni: 42, remotes: [IPAddress(strict: "ff02::1")!])).contains("unicast"))
        #expect(refusal(VXLANConfig(vni: 42, remotes: [IPAddress(strict: "::")!])).contains("unicast"))
        #expect(refusal(VXLANConfig(vni: 42, remotes: [IPAddress(strict: "0.1.2.3")!])).contains("remote 0.1.2.3 must be a unicast address"))
        #expect(refusal(VXLANConfig(vni: 42, remotes: [v6], local: IPAddress(strict: "ff02::1"))).contains("unicast"))
    }

    @Test func aStaticMACsRemoteMatchesTheTunnelsFamily() throws {
        let vx = PortConfig(name: "vx0", type: .vxlan, vxlan: VXLANConfig(vni: 42, remotes: [IPAddress(strict: "2001:db8::2")!]))
        var b = BridgeConfig(name: "br0", ports: [vx])
        let mac = MACAddress("52:54:00:00:00:09")!
        b.staticMACs = [StaticMAC(mac: mac, vlan: VLANID(1)!, port: "vx0", remote: IPAddress(strict: "2001:db8::7"))]
        try b.validate()
        b.staticMACs = [StaticMAC(mac: mac, vlan: VLANID(1)!, port: "vx0", remote: IPAddress(strict: "10.0.0.7"))]
        let message: String
        do { try b.validate(); message = "" } catch { message = error.description }
        #expect(message.contains("remote 10.0.0.7") && message.contains("IPv6"), "\(message)")
    }
}
