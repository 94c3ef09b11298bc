import ControlProtocol
import Foundation
@testable import OVSCompat
import TapestryModel
import Testing

/// Queries answer in ovs-vsctl's own formats.
struct QueryFormatTests {
    func sample() -> OVSDatabase {
        var vnet0 = PortConfig(name: "vnet0", type: .system, vlan: VLANID(10))
        vnet0.externalIDs = ["attached-mac": "52:54:00:aa:bb:01", "iface-status": "active"]
        return database([BridgeConfig(name: "br0", ports: [PortConfig(name: "br0", type: .internal), vnet0,
                                                           PortConfig(name: "vnet1", type: .system, trunk: VLANSet([VLANID(20)!, VLANID(30)!]),
                                                                      native: VLANID(20), nativeMode: .untagged)]),
                         BridgeConfig(name: "lan")])
    }

    func out(_ args: String...) throws -> String {
        var db = sample()
        return try run(&db, args).output
    }

    @Test func bridgeAndPortQueries() throws {
        #expect(try out("list-br") == "br0\nlan\n")
        #expect(try out("list-ports", "br0") == "vnet0\nvnet1\n")
        #expect(try out("iface-to-br", "vnet1") == "br0\n")
        #expect(try out("port-to-br", "vnet0") == "br0\n")
        #expect(try out("br-exists", "br0") == "")
        #expect(throws: OVSError("", status: 2)) { try out("br-exists", "nope") }
        #expect(throws: OVSError("no interface named vnet9")) { try out("iface-to-br", "vnet9") }
        #expect(try out("br-to-vlan", "br0") == "0\n")
    }

    @Test func getPrintsValuesInStringFormat() throws {
        #expect(try out("get", "Port", "vnet0", "tag") == "10\n")
        #expect(try out("get", "Port", "vnet1", "tag", "trunks", "vlan_mode") == "20\n[20, 30]\nnative-untagged\n")
        #expect(try out("get", "Interface", "vnet0", "external_ids:attached-mac") == "\"52:54:00:aa:bb:01\"\n")
        #expect(try out("get", "Interface", "vnet0", "external-ids") == "{attached-mac=\"52:54:00:aa:bb:01\", iface-status=active}\n")
        #expect(try out("get", "Port", "br0", "tag") == "[]\n")
        #expect(try out("get", "Interface", "br0", "type") == "internal\n")
        #expect(try out("--if-exists", "get", "Interface", "vnet0", "external_ids:nope") == "")
        #expect(throws: OVSError("no key \"nope\" in Interface record \"vnet0\" column external_ids")) {
            try out("get", "Interface", "vnet0", "external_ids:nope")
        }
    }

    @Test func listAndFindFormats() throws {
        #expect(try out("--columns=name,tag", "list", "Port", "vnet0") == "name                : \"vnet0\"\ntag                 : 10\n")
        #expect(try out("--no-headings", "--columns=name,tag", "list", "Port", "vnet0", "vnet1") == "\"vnet0\"\n10\n\n\"vnet1\"\n20\n")
        #expect(try out("--format=table", "--columns=name,tag,trunks", "list", "Port", "vnet0", "vnet1")
                == "name    tag trunks\n------- --- --------\n\"vnet0\" 10  []\n\"vnet1\" 20  [20, 30]\n")
        #expect(try out("--format=csv", "--columns=name,trunks", "list", "Port", "vnet1") == "name,trunks\n\"\"\"vnet1\"\"\",\"[20, 30]\"\n")
        #expect(try out("--format=json", "--data=json", "--columns=name,tag,trunks", "list", "Port", "vnet1")
                == "{\"data\":[[\"vnet1\",20,[\"set\",[20,30]]]],\"headings\":[\"name\",\"tag\",\"trunks\"]}\n")
        #expect(try out("--format=list", "--data=json", "--no-headings", "--columns=external_ids", "list", "Interface", "vnet0")
                == "[\"map\",[[\"attached-mac\",\"52:54:00:aa:bb:01\"],[\"iface-status\",\"active\"]]]\n")
        #expect(try out("--bare", "--columns=name", "find", "Port", "tag=10") == "vnet0\n")
        #expect(try out("--bare", "--columns=name", "find", "Interface", "external_ids:iface-status=active") == "vnet0\n")
        #expect(try out("--bare", "--columns=name", "find", "Port", "tag!=10") == "br0\n\nvnet1\n")
        #expect(try out("--oneline", "list-ports", "br0") == "vnet0\\nvnet1\n")
    }

    @Test func badInputIsOneClearErrorAndChangesNothing() throws {
        let cases: [([String], String)] = [
            (["list", "Frobs"], "unknown table \"Frobs\""),
            (["get", "Port", "vnet0", "colour"], "Port does not contain a column whose name matches \"colour\""),
            (["set", "Port", "vnet0", "tag=abc"], "\"abc\" is not a valid integer"),
            (["set", "Port", "vnet0", "tag=5000"], "5000 is not in the valid range 0 to 4095 (inclusive)"),
            (["set", "Port", "vnet0", "tag=0"], "port vnet0: tag 0 is not supported by Tapestry (VLAN ids are 1-4094)"),
            (["set", "Port", "vnet0", "vlan_mode=sideways"], "sideways is not one of the allowed values ([access, native-tagged, native-untagged, trunk])"),
            (["add-port", "br9", "vnet5"], "no bridge named br9"),
            (["add-port", "br0", "vnet0"], "cannot create a port named vnet0 because a port named vnet0 already exists on bridge br0"),
            (["del-port", "vnet9"], "no port named vnet9"),
            (["del-port", "br0", "br0"], "cannot delete port br0 because it is the local port for bridge br0 (use del-br)"),
            (["frobnicate"], "unknown command 'frobnicate'; use --help for help"),
            (["--frob", "list-br"], "unrecognized option '--frob'"),
            (["add-bond", "br0", "b0", "a", "b"], "'add-bond': bonds are not supported by tapestry-ovs-vsctl"),
            (["set", "Interface", "vnet0", "name=x"], "cannot modify read-only column name in table Interface"),
            (["set", "port", "vnet0", "qos=@q"], "row id \"@q\" is referenced but never created (e.g. with \"-- --id=@q create ...\") (qos of port vnet0)"),
            (["add-port", "br0", "vnet5", "--", "set", "Interface", "vnet5", "type=vxlan"],
             "interface vnet5: type \"vxlan\" is not supported by tapestry-ovs-vsctl (use \"\", system, internal or patch)"),
            (["--if-exists", "del-port", "vnet0", "--", "add-br", "lan"], "cannot create a bridge named lan because a bridge named lan already exists"),
            (["add-port", "br0", "vnet5", "tag=10", "--", "set", "Port", "vnet5", "external_ids:k=\"unterminated"], "unterminated quoted string"),
        ]
        for (args, message) in cases {
            var db = sample()
            let before = db.ports
            #expect(throws: OVSError(message), "\(args)") { try run(&db, args) }
            #expect(db.ports == before)
        }
    }

    @Test func chainsAreOneTransaction() throws {
        var db = sample()
        let ops = try run(&db, ["--timeout=5", "--", "--may-exist", "add-port", "br0", "vnet2", "tag=30", "--", "set", "Interface", "vnet2",
                                "external-ids:attached-mac=\"52:54:00:aa:bb:04\"", "--", "--if-exists", "del-port", "vnet1"]).operations
        #expect(ops.map(\.method) == ["del-port", "add-port"])
        #expect(port(db, "vnet2")?.vlanMode == .access(VLANID(30)!))
        #expect(port(db, "vnet2")?.externalIDs == ["attached-mac": "52:54:00:aa:bb:04"])
        // `--may-exist add-port` of a port that is there keeps its settings (as Open vSwitch does).
        let again = try run(&db, ["--may-exist", "add-port", "br0", "vnet2", "tag=99"]).operations
        #expect(again.isEmpty)
        // A nameless `--if-exists del-port` (libvirt after a failed start) is accepted and does nothing.
        #expect(try run(&db, ["--timeout=5", "--", "--if-exists", "del-port"]).operations.isEmpty)
        #expect(throws: OVSError.self) { try run(&db, ["del-port"]) }
        // The bridge's local port is a Port and an Interface of type internal.
        #expect(try run(&db, ["add-br", "br1", "--", "add-port", "br1", "gw1", "--", "set", "Interface", "gw1", "type=internal"]).operations.map(\.method)
                == ["add-br", "add-port"])
        #expect(port(db, "gw1")?.type == .internal)
    }
}
