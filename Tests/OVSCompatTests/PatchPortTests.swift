import ControlProtocol
import Foundation
@testable import OVSCompat
import TapestryModel
import Testing

/// `set Interface X type=patch options:peer=Y`, as Open vSwitch users join two bridges, becomes
/// Tapestry's patch ports (`add-port --type patch --peer`); what Tapestry cannot hold is refused.
struct PatchPortTests {
    func sample() -> OVSDatabase {
        database([BridgeConfig(name: "br0", ports: [PortConfig(name: "br0", type: .internal)]),
                  BridgeConfig(name: "br1", ports: [PortConfig(name: "br1", type: .internal)])])
    }

    @Test func aPatchPairInOneInvocationIsTwoPatchPorts() throws {
        var db = sample()
        let r = try run(&db, ["add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=patch", "options:peer=p1",
                              "--", "add-port", "br1", "p1", "--", "set", "Interface", "p1", "type=patch", "options:peer=p0"])
        #expect(r.operations.map(\.method) == ["add-port", "add-port"])
        #expect(port(db, "p0")?.type == .patch && port(db, "p0")?.peer == "p1")
        #expect(port(db, "p1")?.type == .patch && port(db, "p1")?.peer == "p0")
        let got = try run(&db, ["get", "Interface", "p0", "type", "options"]).output
        #expect(got == "patch\n{peer=\"p1\"}\n", "\(got)")  // ovs-vsctl quotes strings with digits
        let show = try run(&db, ["show"]).output
        #expect(show.contains("                type: patch\n                options: {peer=\"p1\"}\n"), "\(show)")
        // The same options again change nothing.
        #expect(try run(&db, ["set", "Interface", "p0", "options:peer=p1"]).operations.isEmpty)
    }

    @Test func optionsBeforeTheTypeAndAKeyedSetWorkToo() throws {
        var db = sample()
        try run(&db, ["add-port", "br0", "p0", "--", "set", "Interface", "p0", "options:peer=p1", "type=patch"])
        #expect(port(db, "p0")?.peer == "p1")
    }

    @Test func whatTapestryCannotHoldIsRefusedAndChangesNothing() throws {
        let db = sample()
        func refusal(_ args: [String]) -> String? {
            var copy = db
            do { try run(&copy, args); return nil } catch { return error.message }
        }
        #expect(refusal(["add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=patch"])
                    == "interface p0: a patch interface needs options:peer=PORT (the patch port on the other bridge)")
        #expect(refusal(["add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=patch", "options:peer=p1", "options:foo=1"])
                    == "interface p0: patch option \"foo\" is not supported by Tapestry (only peer)")
        #expect(refusal(["add-port", "br0", "v0", "--", "set", "Interface", "v0", "options:remote_ip=10.0.0.2"])
                    == "interface v0: options are supported for type=patch only (options:peer=PORT)")
        #expect(refusal(["add-port", "br0", "v0", "--", "set", "Interface", "v0", "type=geneve"])
                    == "interface v0: type \"geneve\" is not supported by tapestry-ovs-vsctl (use \"\", system, internal or patch)")
        var existing = db
        try run(&existing, ["add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=patch", "options:peer=p1"])
        var copy = existing
        #expect(throws: OVSError("interface p0: cannot change the peer of a patch port from p1 to p2 (delete and add the port)")) {
            try run(&copy, ["set", "Interface", "p0", "options:peer=p2"])
        }
        #expect(port(existing, "p0")?.peer == "p1")
    }
}
