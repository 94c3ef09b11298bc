import TapestryModel
import Testing

@Suite("DesiredState edits")
struct DesiredStateEditTests {
    let mac1 = MACAddress("52:54:00:00:00:01")!

    func base() throws -> DesiredState {
        try DesiredState()
            .addingBridge(BridgeConfig(name: "br0"))
            .addingPort(PortConfig(name: "vm1", type: .tap, vlan: VLANID(10)), to: "br0")
            .addingPort(PortConfig(name: "vm2", type: .tap, vlan: VLANID(10)), to: "br0")
            .addingBridge(BridgeConfig(name: "lab", mode: .hub))
    }

    /// Runs `edit`, expects it to throw a `could not …` message containing `cause`, and the state untouched.
    func expectRefused(_ state: DesiredState, _ prefix: String, _ cause: String,
                       _ edit: (DesiredState) throws(ModelError) -> DesiredState,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let copy = state
        do {
            let next = try edit(state)
            Issue.record("accepted; generation \(next.generation)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.hasPrefix("could not "), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(prefix), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(cause), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(state == copy, sourceLocation: sourceLocation)
    }

    @Test func addsBridgesAndPortsAndBumpsGeneration() throws {
        let s = try base()
        #expect(s.generation == 4)
        #expect(s.bridges.map(\.name) == ["br0", "lab"])
        #expect(s.bridge(named: "br0")?.ports.map(\.name) == ["vm1", "vm2"])
        #expect(s.bridge(holdingPort: "vm2")?.name == "br0")
        #expect(s.bridge(holdingPort: "nope") == nil)
        try s.validate()
    }

    @Test func duplicateBridgeRefusedUnlessMayExist() throws {
        let s = try base()
        expectRefused(s, "could not add bridge br0", "already exists") { s throws(ModelError) in
            try s.addingBridge(BridgeConfig(name: "br0"))
        }
        let same = try s.addingBridge(BridgeConfig(name: "br0"), mayExist: true)
        #expect(same == s)  // unchanged, generation too
    }

    @Test func bridgeNamedLikeAPortRefused() throws {
        let s = try base()
        expectRefused(s, "could not add bridge vm1", "port") { s throws(ModelError) in
            try s.addingBridge(BridgeConfig(name: "vm1"))
        }
    }

    @Test func invalidBridgeRefused() throws {
        let s = try base()
        expectRefused(s, "could not add bridge", "16") { s throws(ModelError) in
            try s.addingBridge(BridgeConfig(name: "sixteen-bytes-xx"))
        }
        expectRefused(s, "could not add bridge br1", "size") { s throws(ModelError) in
            try s.addingBridge(BridgeConfig(name: "br1", macTableSize: 1))
        }
    }

    @Test func duplicatePortRefused() throws {
        let s = try base()
        expectRefused(s, "could not add port vm1 to bridge br0", "already exists") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm1", type: .tap), to: "br0")
        }
        // On another bridge too: port names are netdev names, unique on the host.
        expectRefused(s, "could not add port vm1 to bridge lab", "br0") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm1", type: .tap), to: "lab")
        }
        // --may-exist only forgives the same bridge.
        #expect(try s.addingPort(PortConfig(name: "vm1", type: .tap), to: "br0", mayExist: true) == s)
        expectRefused(s, "could not add port vm1 to bridge lab", "already exists") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm1", type: .tap), to: "lab", mayExist: true)
        }
    }

    @Test func portToUnknownBridgeRefused() throws {
        let s = try base()
        expectRefused(s, "could not add port vm9 to bridge br9", "no such bridge") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm9", type: .tap), to: "br9")
        }
        expectRefused(s, "could not add port vm9 to bridge br9", "no such bridge") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm9", type: .tap), to: "br9", mayExist: true)
        }
    }

    @Test func portNamedLikeABridgeRefused() throws {
        let s = try base()
        expectRefused(s, "could not add port lab to bridge br0", "bridge") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "lab", type: .tap), to: "br0")
        }
    }

    @Test func invalidPortRefusedWithCause() throws {
        let s = try base()
        expectRefused(s, "could not add port sixteen-bytes-xx to bridge br0", "15") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "sixteen-bytes-xx", type: .tap), to: "br0")
        }
        expectRefused(s, "could not add port vm3 to bridge br0", "cannot be combined") { s throws(ModelError) in
            try s.addingPort(PortConfig(name: "vm3", type: .tap, vlan: VLANID(10), trunk: .all), to: "br0")
        }
    }

    @Test func deleteBridge() throws {
        let s = try base()
        let next = try s.removingBridge("lab")
        #expect(next.bridges.map(\.name) == ["br0"])
        #expect(next.generation == s.generation + 1)
        expectRefused(s, "could not delete bridge nope", "no such bridge") { s throws(ModelError) in
            try s.removingBridge("nope")
        }
        #expect(try s.removingBridge("nope", ifExists: true) == s)
    }

    @Test func deletePort() throws {
        let s = try base().addingStaticMAC(StaticMAC(mac: mac1, vlan: VLANID(10)!, port: "vm1"), to: "br0")
        let next = try s.removingPort("vm1", from: "br0")
        #expect(next.bridge(named: "br0")?.ports.map(\.name) == ["vm2"])
        #expect(next.bridge(named: "br0")?.staticMACs.isEmpty == true)  // its static MACs go with it
        try next.validate()
        expectRefused(s, "could not delete port vm9 from bridge br0", "no such port") { s throws(ModelError) in
            try s.removingPort("vm9", from: "br0")
        }
        expectRefused(s, "could not delete port vm1 from bridge lab", "no such port") { s throws(ModelError) in
            try s.removingPort("vm1", from: "lab")
        }
        expectRefused(s, "could not delete port vm1 from bridge br9", "no such bridge") { s throws(ModelError) in
            try s.removingPort("vm1", from: "br9")
        }
        #expect(try s.removingPort("vm9", from: "br0", ifExists: true) == s)
    }

    @Test func setPort() throws {
        let s = try base()
        let next = try s.updatingPort("vm1", on: "br0") { p throws(ModelError) in p.isolated = true }
        #expect(next.bridge(named: "br0")?.port(named: "vm1")?.isolated == true)
        #expect(next.generation == s.generation + 1)
        // A no-op edit changes nothing, not even the generation.
        #expect(try s.updatingPort("vm1", on: "br0") { _ throws(ModelError) in } == s)
        expectRefused(s, "could not set port vm1 on bridge br0", "cannot change") { s throws(ModelError) in
            try s.updatingPort("vm1", on: "br0") { p throws(ModelError) in p.type = .system }
        }
        expectRefused(s, "could not set port vm1 on bridge br0", "cannot change") { s throws(ModelError) in
            try s.updatingPort("vm1", on: "br0") { p throws(ModelError) in p.name = "vm7" }
        }
        expectRefused(s, "could not set port vm1 on bridge br0", "cannot be combined") { s throws(ModelError) in
            try s.updatingPort("vm1", on: "br0") { p throws(ModelError) in p.trunk = .all }
        }
        expectRefused(s, "could not set port vm1 on bridge br0", "invalid VLAN") { s throws(ModelError) in
            try s.updatingPort("vm1", on: "br0") { p throws(ModelError) in p.vlan = try VLANID.parse("4095") }
        }
        expectRefused(s, "could not set port vm9 on bridge br0", "no such port") { s throws(ModelError) in
            try s.updatingPort("vm9", on: "br0") { _ throws(ModelError) in }
        }
        expectRefused(s, "could not set port vm1 on bridge br9", "no such bridge") { s throws(ModelError) in
            try s.updatingPort("vm1", on: "br9") { _ throws(ModelError) in }
        }
    }

    @Test func staticMACs() throws {
        let s = try base()
        let e = StaticMAC(mac: mac1, vlan: VLANID(10)!, port: "vm1")
        let one = try s.addingStaticMAC(e, to: "br0")
        #expect(one.bridge(named: "br0")?.staticMACs == [e])
        // Adding the same (mac, vlan) again replaces it rather than duplicating.
        let moved = try one.addingStaticMAC(StaticMAC(mac: mac1, vlan: VLANID(10)!, port: "vm2"), to: "br0")
        #expect(moved.bridge(named: "br0")?.staticMACs.map(\.port) == ["vm2"])
        let twoVLANs = try one.addingStaticMAC(StaticMAC(mac: mac1, vlan: VLANID(20)!, port: "vm1"), to: "br0")
        #expect(twoVLANs.bridge(named: "br0")?.staticMACs.count == 2)
        expectRefused(s, "could not add MAC 52:54:00:00:00:01 to bridge br0", "no such port") { s throws(ModelError) in
            try s.addingStaticMAC(StaticMAC(mac: self.mac1, vlan: VLANID(10)!, port: "vm9"), to: "br0")
        }
        expectRefused(s, "could not add MAC", "no such bridge") { s throws(ModelError) in
            try s.addingStaticMAC(e, to: "br9")
        }
        expectRefused(s, "could not add MAC ff:ff:ff:ff:ff:ff", "unicast") { s throws(ModelError) in
            try s.addingStaticMAC(StaticMAC(mac: .broadcast, vlan: VLANID(10)!, port: "vm1"), to: "br0")
        }
        let removed = try one.removingStaticMAC(mac1, vlan: VLANID(10)!, from: "br0")
        #expect(removed.bridge(named: "br0")?.staticMACs.isEmpty == true)
        expectRefused(one, "could not delete MAC 52:54:00:00:00:01 from bridge br0", "VLAN 20") { s throws(ModelError) in
            try s.removingStaticMAC(self.mac1, vlan: VLANID(20)!, from: "br0")
        }
    }

    @Test func validateCatchesDuplicatesAcrossBridges() throws {
        var s = try base()
        s.bridges[1].ports.append(PortConfig(name: "vm1", type: .tap))
        #expect(throws: ModelError.self) { try s.validate() }
        var t = try base()
        t.bridges.append(BridgeConfig(name: "br0"))
        #expect(throws: ModelError.self) { try t.validate() }
        var u = try base()
        u.formatVersion = 99
        #expect(throws: ModelError.self) { try u.validate() }
    }
}
