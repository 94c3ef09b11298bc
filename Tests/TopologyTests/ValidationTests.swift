import Testing
@testable import Topology

/// Every validation error, with the position it is reported at.
@Suite struct ValidationTests {
    @Test func yamlSyntax() {
        #expect(problems("bridges: {br0: [").first?.contains(": YAML syntax error: ") == true)
        #expect(problems("") == ["1:1: the file is empty"])
    }

    @Test func unknownKeysWithSuggestion() {
        #expect(problems("bridges:\n  br0:\n    mdoe: hub\n") == ["3:5: unknown key 'mdoe' in bridge br0 (did you mean 'mode'?)"])
        #expect(problems("brdges: {}\n") == ["1:1: unknown key 'brdges' in the topology (did you mean 'bridges'?)"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {colour: red}\n")
            == ["4:12: unknown key 'colour' in port p1 of bridge br0 (expected one of: type, host, vlan, trunk, native, native-mode, isolated, netns, mtu, mac, address, vxlan, peer, policy)"])
    }

    @Test func duplicateKeys() {
        #expect(problems("bridges:\n  br0: {}\n  br0: {}\n") == ["3:3: duplicate key 'br0' in bridges (first at line 2)"])
    }

    @Test func wrongTypes() {
        #expect(problems("bridges:\n  br0:\n    ports: [a, b]\n") == ["3:12: ports of bridge br0 must be a mapping, not a list"])
        #expect(problems("bridges:\n  br0:\n    mac-aging: soon\n") == ["3:16: mac-aging of bridge br0 must be a whole number, not a string"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {isolated: maybe}\n") == ["4:22: isolated of port p1 of bridge br0 must be true or false, not a string"])
    }

    @Test func ranges() {
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {vlan: 4095}\n") == ["4:18: vlan of port p1 of bridge br0 4095 out of range 1-4094"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {mtu: 20}\n") == ["4:17: mtu of port p1 of bridge br0 20 out of range 68-65521"])
        #expect(problems("hosts: {a: {underlay: 10.0.0.1/24}, b: {underlay: 10.0.0.2/24}}\nbridges: {br0: {}}\nsegments:\n  s: {bridge: br0, vni: 16777216}\n")
            == ["4:25: vni of segment s 16777216 out of range 0-16777215"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {trunk: \"10,5000\"}\n")
            == ["4:19: port p1 of bridge br0: trunk: invalid VLAN '5000': must be a number from 1 to 4094"])
    }

    @Test func namesTooLongForLinux() {
        #expect(problems("bridges:\n  averyveryverylongbridge: {}\n")
            == ["2:3: invalid bridge name 'averyveryverylongbridge': longer than 15 bytes (23)"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      port/one: {}\n")
            == ["4:7: invalid port name 'port/one': must not contain '/', ':', whitespace or control characters"])
    }

    @Test func duplicateNamesOnAHost() {
        #expect(problems("bridges:\n  br0: {ports: {p1: {}}}\n  br1:\n    ports:\n      p1: {}\n")
            == ["5:7: port p1 of bridge br1: the name p1 is already used on host local by port p1 of bridge br0 (line 2)"])
        #expect(problems("bridges:\n  br0: {ports: {br1: {}}}\n  br1: {}\n")
            == ["3:3: bridge br1: the name br1 is already used on host local by port br1 of bridge br0 (line 2)"])
    }

    @Test func missingReferences() {
        #expect(problems("hosts: {a: {}}\nbridges:\n  br0: {host: b}\n") == ["3:15: bridge br0: no host named 'b' (hosts: a)"])
        #expect(problems("hosts: {a: {}, b: {}}\nbridges:\n  br0:\n    ports:\n      p1: {}\n")
            == ["5:7: port p1 of bridge br0: bridge br0 is on several hosts; say which with host:"])
        #expect(problems("hosts: {a: {}}\nnodes:\n  vm1: {port: nope, address: 10.0.0.1/24}\n") == ["3:15: node vm1: no port named 'nope' on host a"])
        #expect(problems("hosts: {a: {underlay: 10.0.0.1/24}}\nsegments:\n  s1: {bridge: br9}\n") == ["3:16: segment s1: no bridge named 'br9'"])
        #expect(problems("hosts: {a: {}, b: {}}\nnetworks:\n  n: {forward: nat, ipv4: {address: 10.1.0.1/24}}\n")
            == ["3:3: network n: the file has several hosts; say which with host:"])
        #expect(problems("bridges:\n  br0:\n    ports: {p1: {}}\n    static-macs:\n      - {mac: 52:54:00:00:00:01, port: p9}\n")
            == ["5:40: a static MAC of bridge br0: no port p9 on this bridge on host local"])
    }

    @Test func overlappingSubnets() {
        let text = """
            hosts: {h: {forwarding: true}}
            bridges:
              br0:
                ports:
                  gw1: {type: internal, address: 10.1.0.1/16}
                  gw2: {type: internal, address: 10.1.5.1/24}
            """
        #expect(problems(text) == ["6:38: port gw2 of bridge br0: subnet 10.1.5.0/24 overlaps port gw1 of bridge br0's 10.1.0.0/16 on host h (line 5)"])
        let nets = """
            hosts: {h: {}}
            networks:
              n1: {forward: nat, ipv4: {address: 192.168.1.1/24}}
              n2: {forward: isolated, ipv4: {address: 192.168.1.129/25}}
            """
        #expect(problems(nets) == ["4:33: network n2: subnet 192.168.1.128/25 overlaps network n1's 192.168.1.0/24 on host h (line 3)"])
    }

    @Test func segments() {
        let base = "hosts:\n  a: {underlay: 10.0.0.1/24}\n  b: {underlay: 10.0.0.2/24}\n  c: {}\nbridges:\n  br0: {hosts: [a, b, c]}\n"
        #expect(problems(base + "segments:\n  s1: {bridge: br0}\n") == ["8:3: segment s1: host c has no underlay address for the tunnels"])
        #expect(problems(base + "segments:\n  s1: {bridge: br0, hosts: [a, b], vni: 5}\n  s2: {bridge: br0, hosts: [a, b], vni: 5, vlan: 3}\n")
            == ["9:3: segment s2: segment s1 joins the same hosts on bridge br0; two tunnels carrying the same VLANs make a loop (give each its own vlan:)",
                "9:41: segment s2: VNI 5 is also segment s1's"])
        #expect(problems(base + "segments:\n  s1: {bridge: br0, hosts: [a]}\n") == ["8:28: segment s1: a segment joins at least two hosts (it has 1)"])
        #expect(problems("hosts:\n  a: {underlay: 10.0.0.1/24}\n  b: {underlay: 10.0.1.2/24}\n")
            == ["3:17: host b: the lab underlay is one subnet; 10.0.1.2/24 is not in host a's 10.0.0.0/24"])
    }

    @Test func nodes() {
        #expect(problems("hosts: {a: {}}\nbridges: {br0: {ports: {p1: {type: internal}}}}\nnodes:\n  n1: {port: p1}\n")
            == ["4:14: node n1: port p1 is a internal port; a node needs a tap port"])
        #expect(problems("hosts: {a: {}}\nbridges: {br0: {ports: {p1: {}}}}\nnodes:\n  n1: {port: p1}\n  n2: {port: p1}\n")
            == ["5:14: node n2: port p1 is already node n1's"])
        #expect(problems("hosts: {a: {}}\nbridges: {br0: {ports: {p1: {}}}}\nnodes:\n  n1: {port: p1, address: 10.0.0.1/24, gateway: 10.9.9.9}\n")
            == ["4:49: node n1: gateway 10.9.9.9 is not in 10.0.0.0/24"])
        #expect(problems("bridges: {br0: {ports: {p1: {}}}}\nnodes:\n  n1: {link: {name: l1}}\n")
            == ["3:14: node n1: a link needs a lab host (it adds an interface to the host's namespace)"])
        #expect(problems("hosts: {a: {}}\nnodes:\n  n1: {address: dhcp}\n") == ["3:3: node n1 needs a port (a tap port on a bridge or network) or a link"])
        #expect(problems("hosts: {a: {}}\nbridges: {br0: {ports: {p1: {}, p2: {}}}}\nnodes:\n  n1: {port: p1, address: 10.0.0.1/24}\n  n2: {port: p2, address: 10.0.0.1/24}\n")
            == ["5:27: node n2: address 10.0.0.1 is also node n1's"])
    }

    @Test func portCombinations() {
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {vlan: 10, trunk: \"20\"}\n")
            == ["4:18: port p1 of bridge br0: vlan (an access port) cannot be combined with trunk, native or native-mode"])
        #expect(problems("hosts: {h: {}}\nbridges:\n  br0:\n    ports:\n      p1: {address: 10.0.0.1/24}\n")
            == ["5:21: port p1 of bridge br0: address applies to internal ports only (a tap's address belongs to its node)"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {type: vxlan}\n")
            == ["4:7: port p1 of bridge br0: a vxlan port needs vxlan: {vni, remotes} (or use a segment)"])
        #expect(problems("bridges:\n  br0:\n    ports:\n      p1: {type: internal, address: 10.0.0.1/24}\n")
            == ["4:37: port p1 of bridge br0: addresses on internal ports are set only on lab hosts"])
    }

    @Test func allProblemsAreReportedInFileOrder() {
        let p = problems("bridges:\n  br0:\n    mode: fast\n    ports:\n      p1: {vlan: 0}\n      p2: {mtu: 1}\n")
        #expect(p.count == 3)
        #expect(p.map { $0.split(separator: ":")[0] } == ["3", "5", "6"])
    }
}
