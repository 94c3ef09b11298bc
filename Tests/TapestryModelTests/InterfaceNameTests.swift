import TapestryModel
import Testing

@Suite("Linux interface names")
struct InterfaceNameTests {
    @Test(arguments: ["br0", "vm1", "a", "tap-vm_1.2", "123456789012345", "veth@peer", "ünï"])
    func accepts(name: String) throws {
        try InterfaceName.validate(name, what: "port name")
    }

    @Test(arguments: ["", "1234567890123456", "a/b", "a:b", "a b", " a", "a ", "a\tb", "a\nb", ".", "..",
                      "a\u{7f}", "a\u{01}", "éééééééé"])
    func refuses(name: String) {
        #expect(throws: ModelError.self, "'\(name)'") { try InterfaceName.validate(name, what: "port name") }
    }

    @Test func messageNamesWhatAndWhy() {
        do {
            try InterfaceName.validate("sixteen-bytes-xx", what: "bridge name")
            Issue.record("16 bytes accepted")
        } catch {
            #expect(error.message.contains("bridge name"))
            #expect(error.message.contains("sixteen-bytes-xx"))
            #expect(error.message.contains("15"))
        }
    }

    @Test func limitIsInBytesNotCharacters() throws {
        try InterfaceName.validate(String(repeating: "é", count: 7), what: "x")       // 14 bytes
        #expect(throws: ModelError.self) { try InterfaceName.validate(String(repeating: "é", count: 8), what: "x") }
    }

    @Test(arguments: ["vm1", "ns-with-a-rather-long-name-more-than-fifteen", "a:b"])
    func namespaceAccepts(name: String) throws {
        try InterfaceName.validateNamespace(name)
    }

    @Test(arguments: ["", ".", "..", "a/b", "a b", String(repeating: "n", count: 256)])
    func namespaceRefuses(name: String) {
        #expect(throws: ModelError.self) { try InterfaceName.validateNamespace(name) }
    }
}
