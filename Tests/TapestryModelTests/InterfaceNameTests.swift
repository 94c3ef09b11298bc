import TapestryModel
import Testing

@Suite("Linux interface names")
struct InterfaceNameTests {
    @Test(arguments: ["br0", "vm1", "a", "tap-vm_1.2", "123456789012345", "eth0+x", "BR-0"])
    func accepts(name: String) throws {
        try InterfaceName.validate(name, what: "port name")
    }

    @Test(arguments: ["", "1234567890123456", "a/b", "a:b", "a b", " a", "a ", "a\tb", "a\nb", ".", "..",
                      "a\u{7f}", "a\u{01}", "éééééééé", "veth@peer", "ünï", "a;b", "a$(x)", "a`b`", "a\"b", "a'b",
                      "a|b", "a&b", "a*", "a\\b", "{a}"])
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

    /// Names reach nftables rules and dnsmasq configs: only letters, digits and `-_.+` pass, and the
    /// message says so (non-ASCII letters included, so the 15-byte limit and the character set never disagree).
    @Test func refusesCharactersOutsideTheQuietSet() {
        do {
            try InterfaceName.validate("é", what: "x")
            Issue.record("é accepted")
        } catch {
            #expect(error.message.contains("letters, digits"))
        }
    }

    @Test(arguments: ["vm1", "ns-with-a-rather-long-name-more-than-fifteen", "a:b", "vm@1"])
    func namespaceAccepts(name: String) throws {
        try InterfaceName.validateNamespace(name)
    }

    @Test(arguments: ["", ".", "..", "a/b", "a b", String(repeating: "n", count: 256), "a;b", "a$b"])
    func namespaceRefuses(name: String) {
        #expect(throws: ModelError.self) { try InterfaceName.validateNamespace(name) }
    }
}
