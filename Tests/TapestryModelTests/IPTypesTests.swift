import Testing
import TapestryModel

/// The family-neutral IP types the network code shares: addresses, address/prefix, routes.
@Suite("IP addresses, networks and routes")
struct IPTypesTests {
    @Test func addressesParseAndPrint() {
        #expect(IPAddress("192.168.122.1")?.description == "192.168.122.1")
        #expect(IPAddress("fd00:0:0::1")?.description == "fd00::1")
        #expect(IPAddress("::ffff:1.2.3.4")?.description == "::ffff:1.2.3.4")
        for bad in ["", "1.2.3", "1.2.3.256", "1:::2", "1::2::3", "g::1", "1.2.3.4.5"] { #expect(IPAddress(bad) == nil, "\(bad)") }
        let v4 = IPv4Address("10.0.0.2")!
        #expect(IPAddress(v4).ipv4 == v4)
        #expect(IPAddress("fd00::1")?.ipv4 == nil)
    }

    @Test func networksParseMaskAndContain() throws {
        let n = try #require(IPNetwork("192.168.122.77/24"))
        #expect(n.address.description == "192.168.122.77" && n.prefix == 24)
        #expect(n.subnet.description == "192.168.122.0/24")
        #expect(n.contains(IPAddress("192.168.122.200")!) && !n.contains(IPAddress("192.168.123.1")!))
        #expect(IPNetwork("fd00:1::5/64")?.subnet.description == "fd00:1::/64")
        for bad in ["10.0.0.1", "10.0.0.1/33", "fd00::1/129", "10.0.0.1/", "10.0.0.1/-1", "x/24"] { #expect(IPNetwork(bad) == nil, "\(bad)") }
        #expect(IPv4CIDR("10.1.2.3/16")?.ipNetwork == IPNetwork("10.1.2.3/16"))
    }

    @Test func routesPrint() {
        let r = IPRoute(destination: IPNetwork("10.9.0.0/24")!, gateway: IPAddress("192.168.122.2")!, metric: 5)
        #expect(r.description == "10.9.0.0/24 via 192.168.122.2 metric 5")
        #expect(IPRoute(destination: IPNetwork("10.9.0.0/24")!, gateway: IPAddress("192.168.122.2")!) < r)
    }

    @Test func macFromOctets() {
        #expect(MACAddress(octets: [0x52, 0x54, 0, 0xaa, 0xbb, 0xcc])?.description == "52:54:00:aa:bb:cc")
        #expect(MACAddress(octets: [1, 2, 3]) == nil)
    }
}
