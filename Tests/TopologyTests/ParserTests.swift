import Foundation
import TapestryModel
import Testing
@testable import Topology

@Suite struct ParserTests {
    @Test func everyExampleValidates() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: topologiesDirectory).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 7)
        for name in names {
            do { _ = try TopologyParser.load(path: topologiesDirectory + "/" + name) } catch {
                Issue.record("\(name): \(error)")
            }
        }
    }

    @Test func readsBridgesPortsAndNodes() throws {
        let f = try parse("""
            name: lab1
            hosts:
              a: {underlay: 10.0.0.1/24}
            bridges:
              br0:
                mode: hub
                mac-aging: 60
                mac-table-size: 1024
                ports:
                  vm1: {vlan: 10, mtu: 1400, mac: 52:54:00:00:00:01}
                  tr0: {trunk: [10, 20], native: 1, native-mode: tagged, isolated: true}
                  gw: {type: internal, vlan: 10, address: 10.10.0.1/24}
                static-macs:
                  - {mac: 52:54:00:00:00:09, port: tr0, vlan: 20}
            nodes:
              vm1: {port: vm1, address: 10.10.0.5/24, gateway: 10.10.0.1}
            """)
        #expect(f.name == "lab1")
        #expect(f.hosts.map(\.name) == ["a"])
        let b = try #require(f.bridges.first)
        #expect(b.mode == .hub && b.macAging == 60 && b.macTableSize == 1024)
        #expect(b.ports.map(\.name) == ["vm1", "tr0", "gw"])
        #expect(b.ports[0].config.vlan == VLANID(10) && b.ports[0].config.mtu == 1400)
        #expect(b.ports[0].config.mac == MACAddress("52:54:00:00:00:01"), "a MAC that YAML 1.1 would read as a base-60 number stays text")
        #expect(b.ports[1].config.trunk == VLANSet([VLANID(10)!, VLANID(20)!]))
        #expect(b.ports[1].config.nativeMode == .tagged && b.ports[1].config.isolated)
        #expect(b.ports[2].address == IPv4CIDR("10.10.0.1/24"))
        #expect(b.staticMACs.first?.entry.vlan == VLANID(20))
        #expect(f.nodes.first?.address == .staticAddress(IPv4CIDR("10.10.0.5/24")!))
        #expect(b.ports[1].position.line == 11 && b.ports[1].position.column == 7)
    }

    @Test func noHostsMeansTheLocalDaemon() throws {
        let f = try parse("bridges: {br0: {ports: {p1: {type: internal}}}}")
        #expect(f.implicitHost && f.hosts.count == 1 && f.hosts[0].access == .socket(nil))
        let model = LabModel(file: f, options: LabOptions(defaultSocket: "/tmp/x.sock"))
        #expect(model.hosts[0].socketPath == "/tmp/x.sock" && !model.hosts[0].isLab)
    }

    @Test func inlineNetwork() throws {
        let f = try parse("""
            hosts: {h: {}}
            networks:
              n1:
                forward: nat
                bridge: nbr0
                ipv4:
                  address: 192.168.5.1/24
                  dhcp:
                    range: 192.168.5.10-192.168.5.20
                    hosts: [{mac: "52:54:00:aa:bb:cc", ip: 192.168.5.7, name: web}]
                dns: {hosts: [{ip: 192.168.5.7, names: [web]}]}
                autostart: true
            """)
        let n = try #require(f.networks.first)
        #expect(n.definition.forward.mode == .nat && n.definition.bridge.name == "nbr0" && n.autostart)
        #expect(n.definition.ipv4.first?.dhcpRanges.count == 1 && n.definition.ipv4.first?.dhcpHosts.first?.name == "web")
        #expect(n.definition.dns.hosts.first?.hostnames == ["web"])
    }

    @Test func networkFromXMLFile() throws {
        let xml = "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>"
        let f = try parse("hosts: {h: {}}\nnetworks:\n  default: {file: default.xml}\n", files: ["default.xml": xml])
        #expect(f.networks.first?.definition.bridge.name == "virbr0")
        #expect(problems("hosts: {h: {}}\nnetworks:\n  other: {file: default.xml}\n", files: ["default.xml": xml])
            == ["3:17: network other: the XML defines network 'default'; the key must match"])
        #expect(problems("hosts: {h: {}}\nnetworks:\n  default: {file: missing.xml}\n").first?.hasPrefix("3:19: network default: could not read missing.xml") == true)
    }
}
