import NetworkController
import TapestryModel
import Testing

@Suite("libvirt <bandwidth> as port policy")
struct BandwidthLimitsTests {
    func policy(_ xml: String) throws -> PortPolicy {
        let def = try NetworkXMLParser.parse("<network><name>n</name>\(xml)</network>")
        let e = try #require(BandwidthLimits.element(for: def))
        return try BandwidthLimits.policy(e)
    }

    @Test func unitsAndDirectionsAreLibvirts() throws {
        // inbound = toward the guest (egress shaping); KiB/s and KiB.
        let p = try policy("<bandwidth><inbound average='1000' peak='5000' burst='1024'/><outbound average='128' burst='256'/></bandwidth>")
        #expect(p.egressRate == 1000 * 8192 && p.egressPeak == 5000 * 8192 && p.egressBurst == 1024 * 1024)
        #expect(p.ingressRate == 128 * 8192 && p.ingressBurst == 256 * 1024)
    }

    @Test func theDefaultPortgroupWinsOverTheNetwork() throws {
        let p = try policy("""
            <bandwidth><inbound average='1000'/></bandwidth>\
            <portgroup name='web' default='yes'><bandwidth><inbound average='10'/></bandwidth></portgroup>
            """)
        #expect(p.egressRate == 10 * 8192)
    }

    @Test func badValuesAreRefusedWithTheAttribute() throws {
        #expect(throws: NetworkXMLError.self) { try policy("<bandwidth><inbound average='fast'/></bandwidth>") }
        #expect(throws: NetworkXMLError.self) { try policy("<bandwidth><outbound peak='10'/></bandwidth>") }
        do { _ = try policy("<bandwidth><inbound average='-5'/></bandwidth>") } catch {
            #expect("\(error)".contains("average='-5'"))
        }
    }
}
