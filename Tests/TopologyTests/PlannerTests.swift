import TapestryModel
import Testing
@testable import Topology

/// The plan as a pure diff: desired + observed (+ what earlier applies made) → ordered changes.
@Suite struct PlannerTests {
    let text = """
        name: t
        hosts: {h: {}}
        bridges:
          br0:
            ports:
              vm1: {vlan: 10}
              vm2: {}
        nodes:
          vm1: {port: vm1, address: 10.0.0.1/24}
        """

    func model(_ text: String) throws -> LabModel { LabModel(file: try parse(text), options: LabOptions(labsDirectory: "/x")) }

    /// What the lab looks like right after applying `m`.
    func observedAfterApply(_ m: LabModel) -> ObservedLab {
        var o = ObservedLab()
        o.namespaces = Set(m.namespaces)
        for h in m.hosts { o.hosts[h.name] = ObservedHost(bridges: h.bridges, addresses: Dictionary(h.addresses.map { ($0.interface, [$0.address]) }, uniquingKeysWith: +)) }
        for n in m.nodes {
            var addrs: [String] = []
            if case .staticAddress(let c)? = n.address { addrs = [c.description] }
            o.nodes[n.name] = ObservedNode(hasInterface: true, addresses: addrs, defaultGateway: n.gateway?.description)
        }
        return o
    }

    @Test func freshLabCreatesOutsideIn() throws {
        let m = try model(text)
        let plan = Planner.plan(desired: m, observed: ObservedLab())
        #expect(plan.map(\.description) == [
            "+ namespace t-h", "+ namespace t-vm1 (node vm1)", "+ host h: tapestryd of host h in t-h",
            "+ host h: bridge br0 (learning)", "+ host h: port vm1 (tap, access 10, netns t-vm1) on bridge br0",
            "+ host h: port vm2 (tap, trunk all native 1) on bridge br0", "+ node vm1: vm1 10.0.0.1/24",
        ])
    }

    @Test func appliedLabHasNothingToDo() throws {
        let m = try model(text)
        #expect(Planner.plan(desired: m, observed: observedAfterApply(m)).isEmpty)
    }

    @Test func deletesFirstThenCreatesThenUpdates() throws {
        let old = try model(text)
        let new = try model(text.replacingOccurrences(of: "vm1: {vlan: 10}", with: "vm1: {vlan: 20}")
            .replacingOccurrences(of: "vm2: {}", with: "vm3: {isolated: true}"))
        let plan = Planner.plan(desired: new, observed: observedAfterApply(old))
        #expect(plan.map(\.description) == [
            "- host h: port vm2 of bridge br0",
            "+ host h: port vm3 (tap, trunk all native 1, isolated) on bridge br0",
            "~ host h: port vm1: tap, access 10, netns t-vm1 → tap, access 20, netns t-vm1",
        ])
    }

    @Test func changedMTUReplacesThePortAndReconfiguresItsNode() throws {
        let old = try model(text)
        let new = try model(text.replacingOccurrences(of: "vm1: {vlan: 10}", with: "vm1: {vlan: 10, mtu: 1400}"))
        let plan = Planner.plan(desired: new, observed: observedAfterApply(old))
        #expect(plan.map(\.action) == [.delete, .create, .create])
        #expect(plan.last?.object == .nodeConfig(node: "vm1"))
    }

    @Test func objectsOnExistingDaemonsAreRemovedOnlyWhenAnEarlierApplyMadeThem() throws {
        let file = "bridges:\n  br0: {ports: {p1: {type: internal}}}\n"
        let m = try model(file)
        var o = ObservedLab()
        var foreign = BridgeConfig(name: "other")
        foreign.ports = [PortConfig(name: "x", type: .internal)]
        o.hosts["local"] = ObservedHost(bridges: m.hosts[0].bridges + [foreign])
        #expect(Planner.plan(desired: m, observed: o).isEmpty, "a bridge someone else made is left alone")
        let record = LabRecord(name: "t", file: "t.yaml", objects: [.bridge(host: "local", bridge: "other")])
        #expect(Planner.plan(desired: m, observed: o, record: record).map(\.description) == ["- host local: bridge other"])
    }

    @Test func destroyRemovesLabHostsWholeAndDeclaredObjectsOnExistingDaemons() throws {
        let lab = try model(text)
        let plan = Planner.destroyPlan(desired: lab, observed: observedAfterApply(lab))
        #expect(plan.map(\.description) == ["- host h: tapestryd of host h", "- namespace t-h", "- namespace t-vm1"])
        let local = try model("bridges:\n  br0: {ports: {p1: {type: internal}}}\n")
        var o = observedAfterApply(local)
        o.hosts["local"]!.bridges.append(BridgeConfig(name: "keep"))
        #expect(Planner.destroyPlan(desired: local, observed: o).map(\.description) == ["- host local: bridge br0"])
    }

    @Test func segmentsBecomeTunnelsAndPinnedMACs() throws {
        let m = try model("""
            name: s
            hosts: {a: {underlay: 10.0.0.1/24}, b: {underlay: 10.0.0.2/24}, c: {underlay: 10.0.0.3/24}}
            bridges:
              br0:
                ports:
                  v1: {host: a, mac: "52:54:00:00:00:01"}
                  v2: {host: b, mac: "52:54:00:00:00:02"}
                  v3: {host: c}
            segments:
              blue: {bridge: br0, vni: 42}
            """)
        let a = try #require(m.host(named: "a")?.bridges.first)
        let vx = try #require(a.port(named: "vx42"))
        #expect(vx.vxlan == VXLANConfig(vni: 42, remotes: [IPAddress("10.0.0.2")!, IPAddress("10.0.0.3")!], local: IPAddress("10.0.0.1")))
        #expect(a.staticMACs.contains(StaticMAC(mac: MACAddress("52:54:00:00:00:02")!, vlan: VLANID(1)!, port: "vx42", remote: IPAddress("10.0.0.2"))))
        let v3mac = LabModel.generatedMAC(lab: "s", host: "c", port: "v3")
        #expect(a.staticMACs.contains { $0.mac == v3mac && $0.remote == IPAddress("10.0.0.3") }, "a MAC is generated for ports without one")
        #expect(m.underlay?.links.map(\.peer) == ["h-a", "h-b", "h-c"])
        let plan = Planner.plan(desired: m, observed: ObservedLab())
        #expect(plan.contains { $0.object == .underlayBridge })
        #expect(plan.filter { if case .staticMAC = $0.object { true } else { false } }.count == 6)
    }

    @Test func chosenVNIIsStable() throws {
        let one = try parse("hosts: {a: {underlay: 10.0.0.1/24}, b: {underlay: 10.0.0.2/24}}\nbridges: {br0: {}}\nsegments:\n  red: {bridge: br0}\n")
        let two = try parse("hosts: {a: {underlay: 10.0.0.1/24}, b: {underlay: 10.0.0.2/24}}\nbridges: {br0: {}, br1: {}}\nsegments:\n  blue: {bridge: br1}\n  red: {bridge: br0}\n")
        #expect(one.vni(of: one.segments[0]) == two.vni(of: two.segments[1]))
        #expect((10_000..<100_000).contains(one.vni(of: one.segments[0])))
    }

    @Test func prefixRenamesEveryLabNamespace() throws {
        let m = LabModel(file: try parse(text), options: LabOptions(prefix: "tp1-", labsDirectory: "/x"))
        #expect(m.name == "tp1-t" && m.directory == "/x/tp1-t")
        #expect(m.namespaces == ["tp1-t-h", "tp1-t-vm1"])
        #expect(m.hosts[0].bridges[0].ports[0].netns == "tp1-t-vm1")
    }

    @Test func exportRoundTrips() throws {
        let m = try model("bridges:\n  br0:\n    mode: hub\n    ports:\n      p1: {type: internal, vlan: 5}\n      p2: {trunk: \"10-12\", native: 3}\n")
        let yaml = TopologyExporter.yaml(lab: "x", hosts: [.init(name: "local", socket: nil, observed: ObservedHost(bridges: m.hosts[0].bridges))], implicitHost: true)
        let back = try model(yaml)
        #expect(back.hosts[0].bridges == m.hosts[0].bridges, "\(yaml)")
    }
}
