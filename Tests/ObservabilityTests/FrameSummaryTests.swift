import Testing
@testable import tapestry

/// The one-line frame descriptions of `tapestry capture` without -w.
struct FrameSummaryTests {
    static let mac1: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x01]
    static let mac2: [UInt8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x02]

    static func ipv4(protocol p: UInt8, _ l4: [UInt8]) -> [UInt8] {
        let total = 20 + l4.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, p, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + l4
    }

    @Test func taggedICMPEchoRequest() {
        let frame = FrameSummaryTests.mac2 + FrameSummaryTests.mac1 + [0x81, 0x00, 0x20, 0x0A, 0x08, 0x00]
            + FrameSummaryTests.ipv4(protocol: 1, [8, 0, 0, 0, 0, 1, 0, 1])
        #expect(FrameSummary.describe(frame)
                == "52:54:00:00:00:01 > 52:54:00:00:00:02, vlan 10 p 1, IPv4 (0x0800), 10.0.0.1 > 10.0.0.2: ICMP echo request, length 46")
    }

    @Test func udpPortsAndARP() {
        let udp = FrameSummaryTests.mac2 + FrameSummaryTests.mac1 + [0x08, 0x00]
            + FrameSummaryTests.ipv4(protocol: 17, [0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0])
        #expect(FrameSummary.describe(udp).contains("10.0.0.1.12345 > 10.0.0.2.53: UDP"))
        let arp = [UInt8](repeating: 0xFF, count: 6) + FrameSummaryTests.mac1 + [0x08, 0x06,
            0, 1, 0x08, 0x00, 6, 4, 0, 1] + FrameSummaryTests.mac1 + [10, 0, 0, 1] + [0, 0, 0, 0, 0, 0] + [10, 0, 0, 2]
        #expect(FrameSummary.describe(arp).contains("ARP (0x0806), Request who-has 10.0.0.2 tell 10.0.0.1"))
    }

    @Test func ipv6AddressesAreCompressed() {
        var b = [UInt8](repeating: 0, count: 16)
        b[0] = 0xFE; b[1] = 0x80; b[15] = 1
        #expect(FrameSummary.ipv6Address(b, 0) == "fe80::1")
        #expect(FrameSummary.ipv6Address([UInt8](repeating: 0, count: 16), 0) == "::")
        let ns = FrameSummaryTests.mac2 + FrameSummaryTests.mac1 + [0x86, 0xDD] + [0x60, 0, 0, 0, 0, 8, 58, 255] + b + b + [135, 0, 0, 0]
        #expect(FrameSummary.describe(ns).contains("IPv6 (0x86dd), fe80::1 > fe80::1: ICMP6 neighbor solicitation"))
    }

    @Test func runtsAndUnknownTypes() {
        #expect(FrameSummary.describe([1, 2, 3]) == "runt frame, length 3")
        let other = FrameSummaryTests.mac2 + FrameSummaryTests.mac1 + [0x88, 0xB5] + [UInt8](repeating: 0, count: 46)
        #expect(FrameSummary.describe(other).hasSuffix("ethertype 0x88b5, length 60"))
    }
}
