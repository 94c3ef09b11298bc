import CPcap
import Foundation
import Testing
@testable import tapestry

/// libpcap filters and files as `tapestry capture` uses them.
struct PcapSessionTests {
    static let icmpTagged: [UInt8] = FrameSummaryTests.mac2 + FrameSummaryTests.mac1 + [0x81, 0x00, 0x00, 0x0A, 0x08, 0x00]
        + FrameSummaryTests.ipv4(protocol: 1, [8, 0, 0, 0, 0, 1, 0, 1])
    static let arp: [UInt8] = [UInt8](repeating: 0xFF, count: 6) + FrameSummaryTests.mac1 + [0x08, 0x06]
        + [UInt8](repeating: 0, count: 28)

    func matches(_ pcap: PcapSession, _ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { raw in
            var h = pcap.header(seconds: 1, microseconds: 2, length: raw.count)
            return pcap.matches(raw, header: &h)
        }
    }

    @Test func filtersAreCompiledAndApplied() throws {
        let vlanICMP = try PcapSession(filter: "vlan 10 and icmp", nanosecond: false)
        #expect(matches(vlanICMP, PcapSessionTests.icmpTagged))
        #expect(!matches(vlanICMP, PcapSessionTests.arp))
        let arp = try PcapSession(filter: "arp", nanosecond: false)
        #expect(matches(arp, PcapSessionTests.arp))
        #expect(!matches(arp, PcapSessionTests.icmpTagged))
        let all = try PcapSession(filter: "  ", nanosecond: false)
        #expect(matches(all, PcapSessionTests.arp))
    }

    @Test func badFiltersCarryLibpcapsMessage() {
        #expect(throws: PcapError.self) { try PcapSession(filter: "icmp and and", nanosecond: false) }
        do { _ = try PcapSession(filter: "port 99999999", nanosecond: false) } catch {
            #expect(error.description.hasPrefix("bad filter 'port 99999999': "), "\(error)")
        }
    }

    @Test func filesHaveTheRightPrecision() throws {
        for nano in [false, true] {
            let path = NSTemporaryDirectory() + "tapestry-obs-\(getpid())-\(nano).pcap"
            defer { unlink(path) }
            let pcap = try PcapSession(filter: nil, nanosecond: nano)
            try pcap.openFile(path)
            PcapSessionTests.arp.withUnsafeBytes { raw in
                var h = pcap.header(seconds: 100, microseconds: 250_000, length: raw.count)
                pcap.write(raw, header: &h)
            }
            pcap.closeFile()
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(data.count == 24 + 16 + PcapSessionTests.arp.count)
            let magic = data.prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            #expect(magic == (nano ? 0xA1B2_3C4D : 0xA1B2_C3D4))
            let fraction = data.dropFirst(28).prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            #expect(fraction == (nano ? 250_000_000 : 250_000))
        }
    }
}
