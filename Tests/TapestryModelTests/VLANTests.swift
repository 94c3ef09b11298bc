import Foundation
import TapestryModel
import Testing

@Suite("VLANID")
struct VLANIDTests {
    @Test(arguments: [1, 2, 10, 100, 4094])
    func acceptsValid(n: Int) throws {
        #expect(VLANID(n)?.value == UInt16(n))
        #expect(try VLANID.parse(String(n)).value == UInt16(n))
        #expect(VLANID(n)!.description == String(n))
    }

    @Test(arguments: [0, 4095, 4096, -1, 65536, Int.max, Int.min])
    func refusesOutOfRange(n: Int) {
        #expect(VLANID(n) == nil)
        #expect(throws: ModelError.self) { try VLANID.parse(String(n)) }
    }

    @Test(arguments: ["", "abc", "10a", "0x10", "1.0", "1 0", "ten", "4095", "0", "-5"])
    func parseRefusesWithMessage(text: String) {
        do {
            _ = try VLANID.parse(text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.message.contains("1 to 4094"))
            #expect(error.message.contains("'\(text)'"))
        }
    }

    @Test(arguments: ["+10", "+4094"])
    func parseRefusesSigns(text: String) {
        #expect(throws: ModelError.self, "'\(text)' is not a plain decimal VLAN id") { try VLANID.parse(text) }
    }

    @Test func parseToleratesSurroundingSpaces() throws {
        #expect(try VLANID.parse(" 42 ").value == 42)
    }

    @Test func codable() throws {
        let data = try JSONEncoder().encode([VLANID(7)!, VLANID(4094)!])
        #expect(String(decoding: data, as: UTF8.self) == "[7,4094]")
        #expect(try JSONDecoder().decode([VLANID].self, from: data) == [VLANID(7)!, VLANID(4094)!])
        for bad in ["[0]", "[4095]", "[4096]", "[-1]", #"["10"]"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode([VLANID].self, from: Data(bad.utf8)) }
        }
    }
}

@Suite("VLANSet")
struct VLANSetTests {
    @Test(arguments: [("10", [10]), ("10,20-22", [10, 20, 21, 22]), ("1", [1]), ("4094", [4094]),
                      ("5-5", [5]), ("3,1,2", [1, 2, 3]), ("10, 20", [10, 20]), ("1-3,2-4", [1, 2, 3, 4]),
                      ("4090-4094", [4090, 4091, 4092, 4093, 4094])])
    func parses(text: String, members: [UInt16]) throws {
        let s = try VLANSet.parse(text)
        #expect(s.members == members)
        #expect(s.count == members.count)
        for m in members { #expect(s.contains(m)) }
    }

    @Test(arguments: ["all", "ALL", " all "])
    func all(text: String) throws {
        let s = try VLANSet.parse(text)
        #expect(s.isAll)
        #expect(s.count == 4094)
        #expect(!s.contains(0) && !s.contains(4095) && !s.contains(4096) && !s.contains(UInt16.max))
        #expect(s.contains(1) && s.contains(4094))
        #expect(s == VLANSet.all)
        #expect(s.description == "1-4094")
    }

    @Test(arguments: ["", ",", "10,", ",10", "10-", "-10", "1-2-3", "0", "4095", "4096", "0-10", "4000-4095",
                      "22-20", "a", "10,x", "10--12", "10;20"])
    func refuses(text: String) {
        #expect(throws: ModelError.self, "'\(text)'") { try VLANSet.parse(text) }
    }

    @Test func reversedRangeSaysSo() {
        do {
            _ = try VLANSet.parse("22-20")
            Issue.record("accepted a reversed range")
        } catch {
            #expect(error.message.contains("reversed"))
        }
    }

    @Test(arguments: [("10,20-22", "10,20-22"), ("22,21,20,10", "10,20-22"), ("1-3,5,7-8", "1-3,5,7-8"),
                      ("1,2", "1-2"), ("4094", "4094"), ("1,4094", "1,4094"), ("100-200,150-250", "100-250")])
    func printsCompactRanges(text: String, printed: String) throws {
        #expect(try VLANSet.parse(text).description == printed)
    }

    @Test func printParseRoundTripOnRandomSets() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var s = VLANSet()
            for _ in 0..<Int.random(in: 1...60, using: &rng) { s.insert(VLANID(Int.random(in: 1...4094, using: &rng))!) }
            let again = try VLANSet.parse(s.description)
            #expect(again == s)
        }
    }

    @Test func emptySet() {
        let s = VLANSet()
        #expect(s.isEmpty && s.count == 0 && s.members.isEmpty && s.description == "")
        #expect(!VLANSet([VLANID(5)!]).isEmpty)
    }

    @Test func codableAsText() throws {
        let s = try VLANSet.parse("10,20-22")
        let data = try JSONEncoder().encode([s])
        #expect(String(decoding: data, as: UTF8.self) == #"["10,20-22"]"#)
        #expect(try JSONDecoder().decode([VLANSet].self, from: data) == [s])
        for bad in [#"["10,4095"]"#, #"["0"]"#, #"[""]"#, #"["9-3"]"#, "[10]"] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode([VLANSet].self, from: Data(bad.utf8)) }
        }
    }
}
