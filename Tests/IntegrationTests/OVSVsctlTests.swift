import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// tapestry-ovs-vsctl against a real tapestryd: every command line libvirt 9.0 was recorded
/// running (Tests/Fixtures/libvirt-ovs) executed in order, the ports checked after the actions
/// that shape them, queries in ovs-vsctl's formats, and bad input refused without a change.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct OVSVsctlTests {
    static var logPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/libvirt-ovs/ovs-vsctl-calls.log").path
    }

    func ovs(_ d: NetnsWorld.Daemon, _ args: [String]) -> Shell.Output {
        Shell.run("ip netns exec \(d.namespace) \(NetnsWorld.binDirectory)/tapestry-ovs-vsctl --socket=\(d.socket) "
                  + args.map(Shell.quote).joined(separator: " "))
    }

    func config(_ d: NetnsWorld.Daemon, _ port: String) throws -> PortConfig? {
        try d.json(ShowResult.self, "show").bridges.flatMap(\.ports).map(\.config).first { $0.name == port }
    }

    @Test func recordedLibvirtCallsRunAgainstTheDaemon() throws {
        let world = NetnsWorld("ovs")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        // libvirt's taps: netdevs that exist before add-port (veth here; the switch attaches them).
        for name in ["vnet0", "vnet1", "vnet2", "vnet3", "vnet4", "vnet5", "vnet8", "vnet9", "vnet10", "vnet11", "ovsp3"] {
            try #require(world.exec(host, "ip link add \(name) type veth peer name p\(name) && ip link set \(name) up && ip link set p\(name) up").ok)
        }
        let text = try String(contentsOfFile: OVSVsctlTests.logPath, encoding: .utf8)
        var action = ""
        var found: [String: String] = [:]
        var queues: [String] = []
        var count = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("###") { action = String(line.dropFirst(4)); continue }
            guard line.hasPrefix("ovs-vsctl ") else { continue }
            let words = line.dropFirst(10).split(separator: "' '").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
            // The recording's stand-in answered `find` with placeholder UUIDs; here the real ones are used.
            let args = words.map { found[$0] ?? $0 }
            let out = ovs(d, args)
            count += 1
            #expect(out.ok, "\(action): \(args.joined(separator: " "))\n\(out)")
            if args.contains("find") {
                let uuids = out.stdout.split(separator: "\n").map(String.init)
                if args.contains("queue") { queues = uuids }
                if args.contains("qos") {
                    // A QoS row and the Queue row it holds (the recording's runs left several behind).
                    found = [:]
                    for q in uuids {
                        let held = ovs(d, ["get", "QoS", q, "queues:0"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                        if queues.contains(held) { found = ["bbbbbbbb-0000-0000-0000-00000000000b": q, "aaaaaaaa-0000-0000-0000-00000000000a": held] }
                    }
                }
            }
            if action.hasPrefix("start dom1") {
                let p = try #require(try config(d, "vnet0"))
                #expect(p.type == .system && p.vlanMode == .access(VLANID(10)!))
                #expect(p.externalIDs?["attached-mac"] == "52:54:00:aa:bb:01")
                #expect(p.externalIDs?["vm-id"] == "11111111-2222-3333-4444-555555555501")
                let show = d.cli("show").stdout
                #expect(show.contains("vm-id=11111111-2222-3333-4444-555555555501") && show.contains("attached-mac=52:54:00:aa:bb:01"), "\(show)")
                // ovs-vsctl's own queries on what libvirt made.
                #expect(ovs(d, ["iface-to-br", "vnet0"]).stdout == "br0\n")
                #expect(ovs(d, ["get", "Interface", "vnet0", "external_ids:attached-mac"]).stdout == "\"52:54:00:aa:bb:01\"\n")
                #expect(ovs(d, ["--format=json", "--data=json", "--columns=name,tag", "list", "Port", "vnet0"]).stdout
                        == "{\"data\":[[\"vnet0\",10]],\"headings\":[\"name\",\"tag\"]}\n")
                #expect(ovs(d, ["--no-headings", "--columns=name", "--bare", "find", "Interface", "external_ids:attached-mac=\"52:54:00:aa:bb:01\""]).stdout == "vnet0\n")
                #expect(ovs(d, ["br-exists", "br0"]).ok)
                #expect(ovs(d, ["br-exists", "br9"]).status == 2)
                #expect(ovs(d, ["port-to-br", "vnet0"]).stdout == "br0\n")
            }
            if action.contains("(vlan 10->20, same interfaceid)") { #expect(try config(d, "vnet0")?.vlanMode == .access(VLANID(20)!)) }
            if action.contains("if-trunk.xml") {
                #expect(try config(d, "vnet0")?.vlanMode == .trunk(allowed: VLANSet([VLANID(10)!, VLANID(20)!]), native: VLANID(20), nativeMode: .untagged))
            }
            if action.contains("if-novlan.xml") { #expect(try config(d, "vnet0")?.vlanMode == .default) }
            if args.contains("ingress_policing_rate=4800") {
                let p = try #require(try config(d, "vnet0"))
                #expect(p.ovs?.ingressPolicingRate == 4800 && p.ovs?.qos != nil, "\(String(describing: p.ovs))")
                // Enforced as the port's policy: 4800 kbit/s policing of what the VM sends, the QoS max-rate shaping.
                #expect(p.policy?.ingressRate == 4_800_000, "\(String(describing: p.policy))")
                #expect(p.policy?.egressRate != nil, "\(String(describing: p.policy))")
                #expect(d.cli("show").stdout.contains("ingress policing 4800 kbit/s"))
            }
            if action.hasPrefix("define+start lvprobe3") {
                #expect(try config(d, "ovsp3")?.vlanMode == .trunk(allowed: VLANSet([VLANID(42)!, VLANID(48)!, VLANID(456)!]), native: VLANID(42), nativeMode: .tagged))
            }
            if action.hasPrefix("destroy lvprobe1") {
                #expect(try config(d, "vnet0") == nil)
                #expect(ovs(d, ["--if-exists", "list", "Port", "vnet0"]).stdout == "")
                #expect(ovs(d, ["iface-to-br", "vnet0"]).status == 1)
            }
        }
        #expect(count >= 60)
        // At the end only the port of the start whose add-port the recording made fail remains.
        let ports = try d.json(ShowResult.self, "show").bridges.flatMap(\.ports).map(\.config.name)
        #expect(ports.filter { $0 != "br0" } == ["vnet8"], "\(ports)")
    }

    @Test func badInvocationsFailWithOneLineAndChangeNothing() throws {
        let world = NetnsWorld("ovsbad")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        try #require(world.exec(host, "ip link add vnet0 type veth peer name pvnet0 && ip link set vnet0 up").ok)
        try #require(ovs(d, ["add-port", "br0", "vnet0", "tag=10"]).ok)
        let before = try d.configView()
        let bad: [[String]] = [
            ["list", "Frobs"], ["get", "Port", "vnet0", "colour"], ["set", "Port", "vnet0", "tag=abc"], ["set", "Port", "vnet0", "tag=5000"],
            ["add-port", "br9", "vnet1"], ["--", "set", "Port", "vnet0", "tag=20", "--", "set", "Port", "vnet0", "vlan_mode=sideways"],
            ["--", "set", "Port", "vnet0", "tag=20", "--", "add-port", "nobridge", "x"], ["frobnicate"],
            ["add-port", "br0", "nosuchdev"],
        ]
        for args in bad {
            let out = ovs(d, args)
            #expect(!out.ok, "\(args) should fail")
            let lines = out.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("tapestry-ovs-vsctl: "), "\(args): \(out.stderr)")
        }
        let after = try d.configView()
        #expect(after == before, "config changed: \(before) → \(after)")
    }

    @Test func addBrMakesTheLocalPortNetdevUnlessTold() throws {
        let world = NetnsWorld("ovslocal")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(d.cli("add-br", "br0").ok)
        // Like ovs-vsctl add-br: an internal port br0 with a netdev the host (and libvirt) can use.
        #expect(try config(d, "br0")?.type == .internal)
        #expect(world.exec(host, "ip link show br0").ok)
        try #require(world.exec(host, "ip addr add 10.77.0.1/24 dev br0 && ip link set br0 up").ok)
        let vm = try world.tapVM(d, "br0", "lp1", address: "10.77.0.2/24")
        #expect(world.ping(from: vm, "10.77.0.1"), "the host's address on the local port does not answer")
        #expect(!world.ping(from: vm, "10.77.0.9", count: 1), "an address nobody holds answered")
        let del = d.cli("del-port", "br0", "br0")
        #expect(!del.ok && del.stderr.contains("local port"), "\(del)")
        try #require(d.cli("add-br", "br1", "--no-local-port").ok)
        #expect(try config(d, "br1") == nil)
        #expect(!world.exec(host, "ip link show br1").ok)
        // The compat command's add-br makes one too; del-br removes the netdev with the bridge.
        try #require(ovs(d, ["add-br", "br2"]).ok)
        #expect(world.exec(host, "ip link show br2").ok)
        #expect(ovs(d, ["list-ports", "br2"]).stdout == "")
        try #require(ovs(d, ["del-br", "br2"]).ok)
        #expect(!world.exec(host, "ip link show br2").ok)
        // A global option before the verb, as ovs-vsctl takes it: no change, no error.
        let before = try d.configView()
        #expect(d.cli("--may-exist", "add-br", "br0").ok)
        #expect(try d.configView() == before)
    }

    @Test func patchInterfacesJoinTwoBridgesAsTapestryPatchPorts() throws {
        let world = NetnsWorld("ovspatch")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        try #require(ovs(d, ["add-br", "br0", "--", "add-br", "br1"]).ok)
        let a = try world.tapVM(d, "br0", "pa", address: "10.78.0.1/24")
        _ = try world.tapVM(d, "br1", "pb", address: "10.78.0.2/24")
        #expect(!world.ping(from: a, "10.78.0.2", count: 1), "the bridges were joined before the patch pair")
        let pair = ovs(d, ["add-port", "br0", "patch-br1", "--", "set", "Interface", "patch-br1", "type=patch", "options:peer=patch-br0",
                           "--", "add-port", "br1", "patch-br0", "--", "set", "Interface", "patch-br0", "type=patch", "options:peer=patch-br1"])
        try #require(pair.ok, "\(pair)")
        #expect(try config(d, "patch-br1")?.type == .patch && config(d, "patch-br1")?.peer == "patch-br0")
        #expect(ovs(d, ["get", "Interface", "patch-br0", "options:peer"]).stdout == "\"patch-br1\"\n")
        #expect(world.ping(from: a, "10.78.0.2"), "no traffic through the patch pair")
        // A pair on one bridge is refused by the daemon, in one line, and changes nothing.
        let before = try d.configView()
        let same = ovs(d, ["add-port", "br0", "q0", "--", "set", "Interface", "q0", "type=patch", "options:peer=q1",
                           "--", "add-port", "br0", "q1", "--", "set", "Interface", "q1", "type=patch", "options:peer=q0"])
        #expect(!same.ok && same.stderr.split(separator: "\n").count == 1 && same.stderr.contains("same bridge"), "\(same)")
        #expect(try d.configView() == before)
        try #require(ovs(d, ["del-port", "patch-br1"]).ok)
        #expect(!world.ping(from: a, "10.78.0.2", count: 1), "traffic still crosses after del-port")
    }
}
