import ClusterModel
import Foundation
import TapestryModel
import Testing
import Topology

/// Networks in a cluster file: into the host's part (records without networks unchanged), named
/// by plans, checked when read back, and their ports put on (and taken off) the network bridges.
struct ClusterNetworkModelTests {
    static let file = ClusterModelTests.file + """

    networks:
      nat1:
        host: h1
        forward: nat
        bridge: cnat1
        ipv4: {address: 192.168.91.1/24, dhcp: {range: 192.168.91.10-192.168.91.20}}
        autostart: true
        ports:
          vmn: {netns: vmn}
    """

    @Test func networksGoIntoTheirHostsPart() throws {
        let f = try ClusterModelTests.fabric(Self.file)
        let n = try #require(f.hosts["h1"]?.networks.first)
        #expect(n.name == "nat1" && n.autostart && n.bridgeName == "cnat1")
        #expect(n.xml.contains("<forward mode='nat'") || n.xml.contains("<forward mode=\"nat\""), "\(n.xml)")
        #expect(n.ports.map(\.name) == ["vmn"] && n.ports[0].netns == "vmn")
        #expect(f.hosts["h2"]?.networks.isEmpty == true)
        // Read back from etcd as written.
        let v = ClusterModelTests.view(f)
        #expect(v.hostFabrics["h1"]?.networks == [n] && v.problems.isEmpty, "\(v.problems)")
    }

    @Test func aPartWithoutNetworksIsStoredAsBefore() throws {
        let h2 = try #require(try ClusterModelTests.fabric(Self.file).hosts["h2"])
        let text = String(decoding: ClusterCodec.encode(h2), as: UTF8.self)
        #expect(!text.contains("networks"), "\(text)")
        let back = try ClusterCodec.decode(HostFabric.self, Array(text.utf8), key: "k")
        #expect(back == h2)
    }

    @Test func plansNameNetworkChanges() throws {
        let without = try ClusterModelTests.fabric()
        let with = try ClusterModelTests.fabric(Self.file)
        #expect(ClusterPlan(from: without, to: with).changes.map(\.description) == ["~ host h1: + network nat1"])
        #expect(ClusterPlan(from: with, to: without).changes.map(\.description) == ["~ host h1: - network nat1"])
        var changed = with
        changed.hosts["h1"]!.networks[0].xml = changed.hosts["h1"]!.networks[0].xml.replacingOccurrences(of: "192.168.91.20", with: "192.168.91.30")
        changed.hosts["h1"]!.networks[0].ports.append(PortConfig(name: "vmo", type: .tap))
        #expect(ClusterPlan(from: with, to: changed).changes.map(\.description) == ["~ host h1: network nat1: definition (restarted), + port vmo"])
        #expect(ClusterPlan(from: ClusterFabric(), to: with).changes.map(\.description).contains {
            $0.hasPrefix("+ host h1 (10.0.0.11): bridges br0; networks nat1")
        })
    }

    @Test func badNetworkRecordsAreRefused() throws {
        let keys = ClusterModelTests.keys
        var h1 = try #require(try ClusterModelTests.fabric(Self.file).hosts["h1"])
        var v = ClusterView(keys: keys)
        var bad = h1
        bad.networks[0].xml = "<network><name>nat1</name><forward mode='nat'"
        v.apply(key: keys.hostFabric("h1"), value: ClusterCodec.encode(bad))
        #expect(v.hostFabrics["h1"] == nil && v.problems[keys.hostFabric("h1")]?.contains("network nat1") == true)
        bad = h1
        bad.networks[0].xml = bad.networks[0].xml.replacingOccurrences(of: "<name>nat1</name>", with: "<name>other</name>")
        v.apply(key: keys.hostFabric("h1"), value: ClusterCodec.encode(bad))
        #expect(v.problems[keys.hostFabric("h1")]?.contains("the XML defines network 'other'") == true)
        bad = h1
        bad.networks.append(bad.networks[0])
        v.apply(key: keys.hostFabric("h1"), value: ClusterCodec.encode(bad))
        #expect(v.problems[keys.hostFabric("h1")]?.contains("network nat1 is given twice") == true)
        bad = h1
        bad.networks[0].xml = bad.networks[0].xml.replacingOccurrences(of: "cnat1", with: "br0")
        v.apply(key: keys.hostFabric("h1"), value: ClusterCodec.encode(bad))
        #expect(v.problems[keys.hostFabric("h1")]?.contains("its bridge br0 is also a bridge") == true)
        h1.networks[0].ports[0].name = "bad/name"
        v.apply(key: keys.hostFabric("h1"), value: ClusterCodec.encode(h1))
        #expect(v.problems[keys.hostFabric("h1")]?.contains("port bad/name") == true)
        #expect(v.hostFabrics["h1"] == nil)
    }

    @Test func nodesAreRefusedWithWhy() throws {
        let text = ClusterModelTests.file.replacingOccurrences(of: "vm3: {host: h3, mtu: 1450, netns: vm3}", with: "vm3: {host: h3, mtu: 1450}")
            + "\nnodes:\n  n1: {host: h3, port: vm3}\n"
        do {
            _ = try ClusterModelTests.fabric(text)
            Issue.record("a file with nodes was accepted")
        } catch let e as ClusterError {
            #expect(e.description.contains("node n1: nodes are lab namespaces that `tapestry apply` creates on its own machine"))
            #expect(e.description.contains("give its port netns: NAME"))
        }
    }

    @Test func networkPortsArePutOnAndTakenOffTheNetworkBridge() throws {
        let own = PortConfig(name: "byhand", type: .tap)
        let internalPort = PortConfig(name: "cnat1", type: .internal)
        let current = DesiredState(bridges: [BridgeConfig(name: "cnat1", mode: .learning, ports: [internalPort, own])])
        let vmn = PortConfig(name: "vmn", type: .tap, netns: "vmn")
        let first = ClusterNetworkPorts.desired(current: current, wanted: ["cnat1": [vmn], "gone": [vmn]], managed: [:])
        #expect(first.state.bridge(named: "cnat1")?.ports.map(\.name) == ["cnat1", "byhand", "vmn"])
        #expect(first.managed == ["cnat1": ["vmn"]] && first.missing == ["gone"])
        // Changed, then no longer wanted: the port the user added stays.
        var mtu = vmn
        mtu.mtu = 1400
        let second = ClusterNetworkPorts.desired(current: first.state, wanted: ["cnat1": [mtu]], managed: first.managed)
        #expect(second.state.bridge(named: "cnat1")?.port(named: "vmn")?.mtu == 1400)
        let third = ClusterNetworkPorts.desired(current: second.state, wanted: [:], managed: second.managed)
        #expect(third.state.bridge(named: "cnat1")?.ports.map(\.name) == ["cnat1", "byhand"] && third.managed.isEmpty)
        try third.state.validate()
    }
}
