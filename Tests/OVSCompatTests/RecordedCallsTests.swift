import ControlProtocol
import Foundation
@testable import OVSCompat
import TapestryModel
import Testing

/// Every command line libvirt 9.0 was seen to run, replayed in order against the OVSDB view of a
/// Tapestry configuration with bridge br0: each parses, runs and leaves the ports as libvirt meant.
struct RecordedCallsTests {
    @Test func everyRecordedLineParses() throws {
        let lines = try RecordedCalls.lines()
        #expect(lines.count >= 60)
        for (action, args) in lines {
            let parsed = try OVSCommandLine(args)
            #expect(parsed.global.timeout == 5, "\(action)")
            #expect(!parsed.commands.isEmpty, "\(action): \(args)")
        }
    }

    @Test func replayingTheLogGivesLibvirtsPorts() throws {
        var db = database([BridgeConfig(name: "br0")])
        // Placeholder UUIDs the recording's stand-in returned stand for the rows `find` returns here.
        var found: [String: String] = [:]
        var snapshots: [String: PortConfig] = [:]
        for (action, recorded) in try RecordedCalls.lines() {
            let args = recorded.map { found[$0] ?? $0 }
            let (out, _) = try run(&db, args)
            if args.contains("find") {
                let uuids = out.split(separator: "\n").map(String.init)
                if args.contains("queue") { found["aaaaaaaa-0000-0000-0000-00000000000a"] = uuids.first ?? "aaaaaaaa-0000-0000-0000-00000000000a" }
                if args.contains("qos") { found["bbbbbbbb-0000-0000-0000-00000000000b"] = uuids.first ?? "bbbbbbbb-0000-0000-0000-00000000000b" }
            }
            if action.hasPrefix("start dom1"), let p = port(db, "vnet0") { snapshots["start"] = p }
            if action.contains("(vlan 10->20, same interfaceid)"), let p = port(db, "vnet0") { snapshots["vlan20"] = p }
            if action.contains("if-trunk.xml"), let p = port(db, "vnet0") { snapshots["trunk"] = p }
            if action.contains("if-novlan.xml"), let p = port(db, "vnet0") { snapshots["novlan"] = p }
            if action.hasPrefix("define+start lvprobe3"), let p = port(db, "ovsp3") { snapshots["dom3"] = p }
            if action.hasPrefix("define+start lvprobe2"), let p = port(db, "vnet1") { snapshots["dom2"] = p }
            if action.contains("--inbound 3000,4000,2048 --outbound 600"), let p = port(db, "vnet0") { snapshots["qos"] = p }
        }
        let start = try #require(snapshots["start"])
        #expect(start.type == .system)
        #expect(start.vlanMode == .access(VLANID(10)!))
        #expect(start.externalIDs?["attached-mac"] == "52:54:00:aa:bb:01")
        #expect(start.externalIDs?["vm-id"] == "11111111-2222-3333-4444-555555555501")
        #expect(start.externalIDs?["iface-id"] == "0de08411-600e-4373-9744-b9d65cdd8ff3")
        #expect(start.externalIDs?["iface-status"] == "active")
        #expect(snapshots["vlan20"]?.vlanMode == .access(VLANID(20)!))
        #expect(snapshots["trunk"]?.vlanMode == .trunk(allowed: VLANSet([VLANID(10)!, VLANID(20)!]), native: VLANID(20), nativeMode: .untagged))
        #expect(snapshots["novlan"]?.vlanMode == .default)
        #expect(snapshots["dom2"]?.vlanMode == .trunk(allowed: VLANSet([VLANID(10)!, VLANID(20)!]), native: VLANID(20), nativeMode: .untagged))
        #expect(snapshots["dom3"]?.vlanMode == .trunk(allowed: VLANSet([VLANID(42)!, VLANID(48)!, VLANID(456)!]), native: VLANID(42), nativeMode: .tagged))
        #expect(snapshots["dom3"]?.externalIDs?["port-profile"] == "menial")
        let qos = try #require(snapshots["qos"]?.ovs)
        #expect(qos.ingressPolicingRate == 4800)
        #expect(qos.qos != nil)
        #expect(qos.portExternalIDs["ifname"] == "vnet0")
        // Every domain was destroyed in the end: only vnet8 (added by the start whose add-port the
        // recording made fail, then cleaned with a nameless del-port) is left, and no QoS row refers to a port.
        #expect(db.ports.keys.sorted() == ["vnet8"])
    }

    @Test func clearingBandwidthRemovesTheQoSRows() throws {
        var db = database([BridgeConfig(name: "br0", ports: [PortConfig(name: "vnet0", type: .system, vlan: VLANID(10))])])
        let ids = ["external-ids:vm-id=\"11111111-2222-3333-4444-555555555501\"", "external-ids:ifname=\"vnet0\""]
        try run(&db, ["--timeout=5", "set", "port", "vnet0", "qos=@qos1"] + ids + ["--", "--id=@qos1", "create", "qos", "type=linux-htb",
                      "other_config:min-rate=8000000", "queues:0=@queue0"] + ids + ["--", "--id=@queue0", "create", "queue",
                      "other_config:min-rate=8000000"] + ids)
        let queue = try run(&db, ["--no-heading", "--columns=_uuid", "find", "queue"] + ids).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let qos = try run(&db, ["--no-heading", "--columns=_uuid", "find", "qos"] + ids).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(OVSUUID.isValid(queue) && OVSUUID.isValid(qos))
        #expect(port(db, "vnet0")?.ovs?.qos == qos)
        #expect(try run(&db, ["--columns=_uuid", "--no-heading", "--if-exists", "list", "port", "vnet0", "qos"]).output
                == OVSUUID.stable(table: "Port", name: "vnet0") + "\n")
        // Destroying a QoS row a port still uses is refused, and changes nothing.
        #expect(throws: OVSError.self) { try run(&db, ["destroy", "qos", qos]) }
        try run(&db, ["remove", "port", "vnet0", "qos", qos])
        try run(&db, ["destroy", "qos", qos])
        try run(&db, ["destroy", "queue", queue])
        #expect(db.records.isEmpty)
        #expect(port(db, "vnet0")?.ovs?.qos == nil)
        #expect(port(db, "vnet0")?.ovs?.portExternalIDs["ifname"] == "vnet0")
        #expect(port(db, "vnet0")?.vlanMode == .access(VLANID(10)!))
    }
}
