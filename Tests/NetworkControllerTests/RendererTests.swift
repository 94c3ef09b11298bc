import Testing
import Foundation
@testable import NetworkController

private func firewallInput(_ name: String) throws -> NetworkDefinition {
    try NetworkXMLParser.parse(try Corpus.read("post-9.9.0/tests/networkxml2firewalldata/\(name).xml"))
}

@Test(arguments: ["nat-default", "route-default", "isolated", "nat-many-ips", "nat-port-range"])
func nftablesGolden(_ name: String) throws {
    let script = NftablesRulesetRenderer.ruleset(for: try firewallInput(name))
    #expect(script == NftablesGoldens.scripts[name], "\(name): \(firstDifference(script ?? "", NftablesGoldens.scripts[name] ?? ""))")
}

/// Every rule libvirt's nftables backend writes for a corpus case has a rule with the same
/// matches and verdict in Tapestry's script (chain names, `iif`/`iifname` and order aside).
@Test(arguments: ["nat-default", "route-default", "isolated", "nat-many-ips", "nat-port-range",
                  "forward-dev", "nat-ipv6", "nat-port-range-ipv6", "nat-ipv6-masquerade"])
func nftablesRulesMirrorLibvirt(_ name: String) throws {
    let libvirt = try Corpus.read("post-9.9.0/tests/networkxml2firewalldata/\(name)-linux.nftables")
    let ours = NftablesRulesetRenderer.ruleset(for: try firewallInput(name)) ?? ""
    func normalise(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < tokens.count {
            var t = tokens[i].replacingOccurrences(of: "'", with: "").replacingOccurrences(of: "\"", with: "")
            if t == "iif" { t = "iifname" }
            if t == "oif" { t = "oifname" }
            out.append(t)
            i += 1
        }
        return out.sorted()
    }
    let ourRules: [(family: String, tokens: [String])] = ours.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ").map(String.init)
        guard parts.count > 5, parts[0] == "add", parts[1] == "rule" else { return nil }
        return (parts[2], normalise(Array(parts[5...])))
    }
    // libvirt writes one argv word per line, each command starting with "nft".
    let commands = libvirt.components(separatedBy: "nft \\\n").map {
        $0.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " \\", with: "") }
            .filter { !$0.isEmpty && $0 != "\\" }
    }.filter { $0.count > 5 && $0[0] == "-ae insert" }
    #expect(!commands.isEmpty)
    for cmd in commands {
        let family = cmd[2]
        let tokens = normalise(Array(cmd[5...]))
        #expect(ourRules.contains { $0.family == family && $0.tokens == tokens },
                "\(name): no Tapestry rule matches libvirt's \(family) \(cmd[4]): \(cmd[5...].joined(separator: " "))")
    }
}

@Test func nftablesOpenAndBridgeModesHaveNoRules() throws {
    let open = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/open-network.xml"))
    #expect(NftablesRulesetRenderer.ruleset(for: open) == nil)
    let bridged = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/host-bridge-net.xml"))
    #expect(NftablesRulesetRenderer.ruleset(for: bridged) == nil)
}

@Test func nftablesSNATAddressRangeAndDeletion() throws {
    let def = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/nat-network-forward-nat-address.xml"))
    let script = NftablesRulesetRenderer.ruleset(for: def) ?? ""
    #expect(script.contains("add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 oifname \"eth1\" counter snat to 10.20.30.40-10.20.30.44:60000-65432\n"))
    #expect(script.contains("add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 oifname \"eth1\" counter snat to 10.20.30.40-10.20.30.44\n"))
    let deletion = NftablesRulesetRenderer.deletionScript(for: def) ?? ""
    #expect(deletion == """
        add table ip tapestry
        add table ip6 tapestry
        add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
        add chain ip6 tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
        add chain ip tapestry nat_virbr0 { type nat hook postrouting priority 100; policy accept; }
        add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
        delete chain ip tapestry fwd_virbr0
        delete chain ip6 tapestry fwd_virbr0
        delete chain ip tapestry nat_virbr0
        delete chain ip tapestry mangle_virbr0

        """)
    #expect(!deletion.contains("libvirt"))
    #expect(NftablesRulesetRenderer.tableDeletionScript() == "add table ip tapestry\ndelete table ip tapestry\nadd table ip6 tapestry\ndelete table ip6 tapestry\n")
}

/// Golden radvd.conf derived from libvirt's networkRadvdConfContents (libvirt < 9.x):
/// SLAAC prefixes without DHCPv6, managed/other flags and non-autonomous prefixes with it.
@Test func radvdGolden() throws {
    let slaac = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/nat-network.xml"))
    #expect(RadvdConfigRenderer.config(for: slaac) == """
        interface virbr0
        {
          AdvSendAdvert on;
          IgnoreIfMissing on;
          AdvManagedFlag off;

          prefix 2001:db8:ac10:fe01::1/64
          {
            AdvOnLink on;
            AdvAutonomous on;
            AdvRouterAddr off;
          };
          prefix 2001:db8:ac10:fd01::1/64
          {
            AdvOnLink on;
            AdvAutonomous on;
            AdvRouterAddr off;
          };
        };

        """)
    let dhcp6 = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2confdata/dhcp6-network.xml"))
    #expect(RadvdConfigRenderer.config(for: dhcp6) == """
        interface virbr0
        {
          AdvSendAdvert on;
          IgnoreIfMissing on;
          AdvManagedFlag on;
          AdvOtherConfigFlag on;

          prefix 2001:db8:ac10:fd01::1/64
          {
            AdvAutonomous off;
          };
        };

        """)
    let v4only = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2xmlin/isolated-network.xml"))
    #expect(RadvdConfigRenderer.config(for: v4only) == nil)
}
