import Foundation
import TapestryModel
import Testing

@Suite("MACAddress")
struct MACAddressTests {
    @Test(arguments: [("52:54:00:12:34:56", UInt64(0x5254_0012_3456)), ("52-54-00-12-34-56", 0x5254_0012_3456),
                      ("AA:BB:CC:DD:EE:FF", 0xAABB_CCDD_EEFF), ("0:1:2:3:4:5", 0x0001_0203_0405),
                      ("ff:ff:ff:ff:ff:ff", 0xFFFF_FFFF_FFFF), ("00:00:00:00:00:00", 0)])
    func parses(text: String, value: UInt64) throws {
        let mac = try #require(MACAddress(text))
        #expect(mac.rawValue == value)
    }

    @Test(arguments: ["", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g", "525400123456",
                      "52:54:00:12:34:", ":52:54:00:12:34", "152:54:00:12:34:56", "52:54:00:12:34:56 ",
                      "52.54.00.12.34.56", "52:54:00-12:34:56", "52::00:12:34:56"])
    func refusesMalformed(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test(arguments: ["52:54:00:12:34:+f", "+2:54:00:12:34:56", "52:54:00:12:34:-0"])
    func refusesSigns(text: String) {
        #expect(MACAddress(text) == nil, "'\(text)' is not a MAC address")
    }

    @Test func printsLowercaseTwoDigits() {
        #expect(MACAddress(rawValue: 0x0A0B_0C0D_0E0F).description == "0a:0b:0c:0d:0e:0f")
        #expect(MACAddress("AA-BB-CC-0-1-2")!.description == "aa:bb:cc:00:01:02")
        #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff")
    }

    @Test func roundTripsThroughText() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let m = MACAddress(rawValue: rng.next())
            #expect(MACAddress(m.description) == m)
        }
    }

    @Test func rawValueIsMaskedTo48Bits() {
        #expect(MACAddress(rawValue: 0xFFFF_0000_0000_0001).rawValue == 1)
    }

    @Test func octetsAreInWireOrder() {
        #expect(MACAddress("01:23:45:67:89:ab")!.octets == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab])
        #expect(MACAddress((1, 2, 3, 4, 5, 6)) == MACAddress("01:02:03:04:05:06"))
    }

    @Test(arguments: [("ff:ff:ff:ff:ff:ff", true, true, false), ("01:00:5e:00:00:01", true, false, false),
                      ("33:33:00:00:00:01", true, false, false), ("52:54:00:00:00:01", false, false, true),
                      ("02:00:00:00:00:00", false, false, true), ("00:00:00:00:00:00", false, false, false),
                      ("03:00:00:00:00:00", true, false, false)])
    func classification(text: String, multicast: Bool, broadcast: Bool, validSource: Bool) {
        let m = MACAddress(text)!
        #expect(m.isMulticast == multicast)
        #expect(m.isBroadcast == broadcast)
        #expect(m.isValidSource == validSource)
    }

    @Test func ordersByValue() {
        let a = MACAddress("00:00:00:00:00:02")!, b = MACAddress("00:00:00:00:01:00")!
        #expect(a < b)
        #expect([b, a].sorted() == [a, b])
    }

    @Test func codableAsString() throws {
        let m = MACAddress("52:54:00:ab:cd:ef")!
        let data = try JSONEncoder().encode([m])
        #expect(String(decoding: data, as: UTF8.self) == #"["52:54:00:ab:cd:ef"]"#)
        #expect(try JSONDecoder().decode([MACAddress].self, from: data) == [m])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([MACAddress].self, from: Data(#"["nope"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([MACAddress].self, from: Data("[5]".utf8)) }
    }
}
