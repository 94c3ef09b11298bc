import Foundation
import TapestryModel
import Testing
@testable import Topology

/// Hosts with IPv6 underlays in topology files: parsed, turned into
/// IPv6 tunnels, refused with the host's name when a segment mixes families or an address
/// cannot be a VTEP; IPv4 underlays read as before.
@Suite struct UnderlayIPv6TopologyTests {
    static func lab(_ a: String, _ b: String) -> String {
        """
        hosts:
          a: {underlay: "\(a)"}
          b: {underlay: "\(b)"}
        bridges:
          br0:
            hosts: [a, b]
            ports:
              vm1: {host: a, mtu: 1430}
              vm2: {host: b, mtu: 1430}
        segments:
          blue: {bridge: br0, vni: 46}

        """
    }

    @Test func ipv6UnderlaysMakeIPv6Tunnels() throws {
        let model = LabModel(file: try parse(Self.lab("fd00:46::1/64", "fd00:46::2/64")))
        let a = try #require(model.host(named: "a"))
        #expect(a.underlay?.description == "fd00:46::1/64")
        let vx = try #require(a.bridges.first?.port(named: "vx46")?.vxlan)
        #expect(vx.local == IPAddress(strict: "fd00:46::1") && vx.remotes == [IPAddress(strict: "fd00:46::2")!])
        #expect(a.bridges.first?.staticMACs.allSatisfy { $0.remote == IPAddress(strict: "fd00:46::2") } == true)
        #expect(model.underlay?.links.map(\.address.description) == ["fd00:46::1/64", "fd00:46::2/64"])
        // IPv4 as before.
        let v4 = LabModel(file: try parse(Self.lab("10.0.0.1/24", "10.0.0.2/24")))
        #expect(v4.host(named: "b")?.underlay?.description == "10.0.0.2/24")
        #expect(v4.host(named: "a")?.bridges.first?.port(named: "vx46")?.vxlan?.remotes == [IPAddress("10.0.0.2")!])
    }

    @Test func aSegmentOfTwoFamiliesIsRefusedNamingTheHost() {
        // Existing daemons (no lab underlay subnet): the segment check names host b.
        let text = Self.lab("10.0.0.1", "fd00:46::2").replacingOccurrences(of: "\"}", with: "\", socket: /run/x-HOST.sock}")
        var n = 0
        let distinct = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains("HOST") else { return String(line) }
            n += 1
            return line.replacingOccurrences(of: "HOST", with: String(n))
        }.joined(separator: "\n")
        let p = problems(distinct)
        #expect(p.contains { $0.hasPrefix("3:") && $0.contains("segment blue: host b's underlay fd00:46::2 is IPv6 but host a's is IPv4") }, "\(p)")
        // A lab: its underlay is one subnet of one family.
        let lab = problems(Self.lab("10.0.0.1/24", "fd00:46::2/64"))
        #expect(lab.contains { $0.contains("host b: the lab underlay is one subnet of one address family") }, "\(lab)")
    }

    @Test func unusableUnderlaysAreRefused() {
        for (address, why) in [("fe80::1/64", "link-local"), ("ff02::1/64", "multicast"), ("::/64", "unspecified"),
                               ("fd00:46::/64", "anycast"), ("10.0.0.0/24", "network or broadcast")] {
            let p = problems(Self.lab(address, "fd00:46::2/64"))
            #expect(p.contains { $0.hasPrefix("2:") && $0.contains("host a: underlay \(address) is not a usable host address") && $0.contains(why) }, "\(address): \(p)")
        }
        #expect(problems(Self.lab("fd00:46::1", "fd00:46::2/64")).contains { $0.contains("needs a prefix length, e.g. fd00:46::1/64") })
        #expect(problems(Self.lab("fd00:46::zz/64", "fd00:46::2/64")).contains { $0.contains("invalid underlay address 'fd00:46::zz/64'") })
    }
}
