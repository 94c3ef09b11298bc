import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// Tapestry's own networks of `<forward mode='bridge'>`: a name and port settings for an existing
/// Tapestry bridge, with an uplink from `<forward><interface dev>`. Ports added with `--network`
/// are isolated and tagged as the XML says; destroying the network takes its uplink away only.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct BridgeModeNetworkTests {
    static let xml = """
        <network>
          <name>lan</name>
          <forward mode='bridge'><interface dev='up0'/></forward>
          <bridge name='br0'/>
          <virtualport type='openvswitch'/>
          <port isolated='yes'/>
          <portgroup name='v10' default='yes'><vlan><tag id='10'/></vlan></portgroup>
          <portgroup name='v20'><vlan><tag id='20'/></vlan></portgroup>
        </network>
        """

    static func port(_ d: NetnsWorld.Daemon, _ name: String) throws -> PortConfig? {
        try d.json(ShowResult.self, "show").bridges.flatMap(\.ports).map(\.config).first { $0.name == name }
    }

    @Test func portsAddedWithNetworkAreIsolatedAndTaggedAndTheUplinkComesAndGoes() throws {
        let world = NetnsWorld("brnet")
        defer { world.close() }
        let host = world.namespace("host")
        let ext = world.namespace("ext")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        // The uplink: a veth whose far end is a trunk into another switch (this kernel has no VLAN
        // devices), where a host outside sits on VLAN 10: frames cross the veth tagged.
        world.veth("up0", in: host, "eth0", in: ext)
        let far = try world.startDaemon(in: ext, name: "far")
        try #require(far.cli("add-br", "bx", "--no-local-port").ok && far.cli("add-port", "bx", "eth0", "--type", "system").ok)
        _ = try world.tapVM(far, "bx", "out10", address: "10.10.0.20/24", ["--vlan", "10"])
        // Servers on br0 outside the network (not isolated), one per VLAN.
        let srv10 = try world.tapVM(d, "br0", "srv10", address: "10.10.0.9/24", ["--vlan", "10"])
        _ = try world.tapVM(d, "br0", "srv20", address: "10.10.0.10/24", ["--vlan", "20"])
        let file = world.tempDirectory + "/lan.xml"
        try Self.xml.write(toFile: file, atomically: true, encoding: .utf8)
        let define = d.cli("net-define", file)
        try #require(define.ok, "\(define)")
        #expect(define.stderr.contains("note: network lan: <virtualport type='openvswitch'>: kept for libvirt"), "\(define.stderr)")
        try #require(d.cli("net-start", "--network", "lan").ok)
        let info = try d.json(NetworkInfo.self, "net-info", "lan")
        #expect(info.active && info.bridge == "br0" && info.forwardMode == "bridge", "\(info)")
        let uplink = try #require(try Self.port(d, "up0"), "no uplink port: \(d.cli("show").stdout)")
        #expect(uplink.type == .system && !uplink.isolated && uplink.vlanMode == .default)

        // va and vb take the default portgroup v10; vc asks for v20; all three are isolated.
        var ns: [String: String] = [:]
        for (name, address, group) in [("va", "10.10.0.2", nil), ("vb", "10.10.0.3", nil), ("vc", "10.10.0.4", "v20")] as [(String, String, String?)] {
            ns[name] = world.namespace(name)
            let add = d.cli(["add-port", "--network", "lan", name, "--type", "tap", "--netns", ns[name] ?? ""] + (group.map { ["--portgroup", $0] } ?? []))
            try #require(add.ok, "\(add)")
            try #require(world.exec(ns[name] ?? "", "ip addr add \(address)/24 dev \(name) && ip link set dev \(name) up").ok)
        }
        let a = try #require(try Self.port(d, "va")), b = try #require(try Self.port(d, "vb")), c = try #require(try Self.port(d, "vc"))
        #expect(a.isolated && b.isolated && c.isolated)
        #expect(a.vlanMode == .access(VLANID(10)!) && b.vlanMode == .access(VLANID(10)!) && c.vlanMode == .access(VLANID(20)!), "\(a) \(b) \(c)")
        let nsA = ns["va"] ?? "", nsB = ns["vb"] ?? "", nsC = ns["vc"] ?? ""
        // Each reaches the non-isolated ports of its VLAN, the uplink included, and not the other VLAN.
        #expect(world.ping(from: nsA, "10.10.0.9"), "a cannot reach srv10 on VLAN 10")
        #expect(world.ping(from: nsB, "10.10.0.9"), "b cannot reach srv10 on VLAN 10")
        #expect(world.ping(from: nsA, "10.10.0.20"), "a cannot reach the host behind the uplink (VLAN 10 tagged)")
        #expect(world.ping(from: nsC, "10.10.0.10"), "c (portgroup v20) cannot reach srv20")
        #expect(!world.ping(from: nsC, "10.10.0.9", count: 2), "c (VLAN 20) reached srv10 on VLAN 10")
        // Isolated from each other although on the same VLAN (both answer srv10, shown above).
        #expect(!world.ping(from: nsA, "10.10.0.3", count: 2), "isolated va reached isolated vb")
        #expect(world.ping(from: srv10, "10.10.0.3"), "srv10 cannot reach vb")

        // A portgroup the network lacks is refused and adds nothing.
        let bad = d.cli("add-port", "--network", "lan", "x", "--type", "tap", "--portgroup", "v99")
        #expect(!bad.ok && bad.stderr.contains("network lan has no portgroup 'v99' (it has v10, v20)"), "\(bad)")
        #expect(try Self.port(d, "x") == nil)

        // Destroyed: the uplink it attached goes, the bridge and the ports stay.
        try #require(d.cli("net-destroy", "lan").ok)
        #expect(try Self.port(d, "up0") == nil)
        #expect(try Self.port(d, "va") != nil && world.ping(from: nsA, "10.10.0.9"))
        #expect(!world.ping(from: nsA, "10.10.0.20", count: 2), "the uplink still carries frames after net-destroy")
        #expect(world.exec(host, "ip link show up0").ok, "net-destroy deleted the uplink's netdev")
        // Started again, it comes back.
        try #require(d.cli("net-start", "lan").ok)
        #expect(try Self.port(d, "up0")?.type == .system)
    }

    @Test func bridgeModeNetworksThatCannotStartSayWhy() throws {
        let world = NetnsWorld("brbad")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        func define(_ xml: String) throws {
            let file = world.tempDirectory + "/\(UUID().uuidString).xml"
            try xml.write(toFile: file, atomically: true, encoding: .utf8)
            try #require(d.cli("net-define", file).ok)
        }
        try define("<network><name>nobr</name><forward mode='bridge'/><bridge name='br9'/></network>")
        let missing = d.cli("net-start", "nobr")
        #expect(!missing.ok && missing.stderr.contains("br9 is not a Tapestry bridge (make it first: tapestry add-br br9)"), "\(missing)")
        try define("<network><name>macvtap</name><forward mode='bridge' dev='eth0'/></network>")
        let macvtap = d.cli("net-start", "macvtap")
        #expect(!macvtap.ok && macvtap.stderr.contains("libvirt's macvtap network on eth0"), "\(macvtap)")
        try #require(d.cli("add-br", "br9").ok)
        try define("<network><name>noup</name><forward mode='bridge'><interface dev='nosuch0'/></forward><bridge name='br9'/></network>")
        let noUplink = d.cli("net-start", "noup")
        #expect(!noUplink.ok && noUplink.stderr.contains("nosuch0"), "\(noUplink)")
        let list = try d.json(NetworkListResult.self, "net-list", "--all")
        #expect(list.networks.count == 3 && list.networks.allSatisfy { !$0.active }, "\(list.networks)")
        #expect(try d.json(ShowResult.self, "show").bridges.first?.ports.map(\.config.name) == ["br9"])
    }
}
