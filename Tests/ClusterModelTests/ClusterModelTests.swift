import ClusterModel
import TapestryModel
import Testing
import Topology

/// The cluster's pure parts: key layout, records read from etcd (garbage included), the fabric
/// from a topology file and its validation, plans, convergence and MAC publishing.
struct ClusterModelTests {
    static let file = """
    version: 1
    name: fab
    hosts:
      h1: {underlay: 10.0.0.11/24}
      h2: {underlay: 10.0.0.12/24}
      h3: {underlay: 10.0.0.13/24}
    bridges:
      br0:
        ports:
          vm1: {host: h1, mtu: 1450, mac: "52:54:00:00:00:01", netns: vm1}
          vm2: {host: h2, mtu: 1450, mac: "52:54:00:00:00:02", netns: vm2}
          vm3: {host: h3, mtu: 1450, netns: vm3}
    segments:
      blue: {bridge: br0, vni: 42}
    """

    static func fabric(_ text: String = file) throws -> ClusterFabric {
        let f = try TopologyParser.parse(text, path: "fab.yaml")
        return try ClusterFabricBuilder.build(f)
    }

    static let keys = ClusterKeys(cluster: "c1")

    /// A view holding `fabric` and the three hosts registered.
    static func view(_ fabric: ClusterFabric) -> ClusterView {
        var v = ClusterView(keys: keys)
        for (k, value) in fabric.keyValues(keys, meta: ClusterFabricMeta(source: "fab.yaml", hosts: [], segments: [])) {
            v.apply(key: k, value: value, modRevision: 10)
        }
        for (h, a) in [("h1", "10.0.0.11"), ("h2", "10.0.0.12"), ("h3", "10.0.0.13")] {
            v.apply(key: keys.host(h), value: ClusterCodec.encode(ClusterHostRecord(underlay: IPAddress(a)!, version: "t")), lease: 7)
        }
        return v
    }

    @Test func keysRoundTrip() {
        let k = Self.keys
        let mac = MACAddress("52:54:00:00:00:01")!
        #expect(k.parse(k.host("h1")) == .host("h1"))
        #expect(k.parse(k.fabricMeta) == .fabricMeta)
        #expect(k.parse(k.segment("blue")) == .segment("blue"))
        #expect(k.parse(k.hostFabric("h2")) == .hostFabric("h2"))
        #expect(k.parse(k.mac(segment: "blue", vlan: VLANID(1)!, mac: mac)) == .mac(segment: "blue", vlan: VLANID(1)!, mac: mac))
        for bad in ["/tapestry/c1/hosts/", "/tapestry/c1/macs/blue/0/52:54:00:00:00:01", "/tapestry/c1/macs/blue/1/zz",
                    "/tapestry/c2/hosts/h1", "/tapestry/c1/fabric/other", "/tapestry/c1/hosts/a/b"] {
            #expect(k.parse(bad) == .unknown(bad), "\(bad)")
        }
    }

    @Test func fabricFromATopologyFile() throws {
        let f = try Self.fabric()
        #expect(f.segments["blue"] == ClusterSegment(name: "blue", vni: 42, bridge: "br0", port: "vx42", hosts: ["h1", "h2", "h3"]))
        let h1 = try #require(f.hosts["h1"])
        #expect(h1.underlay == IPAddress("10.0.0.11"))
        let br0 = try #require(h1.bridges.first)
        #expect(br0.port(named: "vm1")?.netns == "vm1")
        #expect(br0.port(named: "vx42")?.vxlan?.remotes == [IPAddress("10.0.0.12")!, IPAddress("10.0.0.13")!])
        #expect(br0.port(named: "vm2") == nil)
    }

    @Test func conflictingFabricsAreRefusedWithTheReason() throws {
        var f = try Self.fabric()
        f.segments["red"] = ClusterSegment(name: "red", vni: 42, bridge: "br0", port: "vx42b", hosts: ["h1"])
        #expect(throws: ClusterError("segment red: VNI 42 is already used by segment blue")) { try f.validate() }
        f.segments["red"] = ClusterSegment(name: "red", vni: 43, bridge: "br0", port: "vx43", hosts: ["h9"])
        #expect(throws: ClusterError("segment red: no host named 'h9' in the fabric")) { try f.validate() }
        // Against the live members: an unregistered host, or one with another underlay.
        let good = try Self.fabric()
        var members = Self.view(good).hosts
        members["h3"] = nil
        #expect(throws: ClusterError.self) { try good.check(against: members, cluster: "c1") }
        do { try good.check(against: members, cluster: "c1") } catch {
            #expect(error.description.contains("host h3 is not a member of cluster c1 (members: h1, h2)"))
        }
        members["h3"] = ClusterHostRecord(underlay: IPAddress("10.0.0.99")!, version: "t")
        #expect(throws: ClusterError("host h3: the file gives underlay 10.0.0.13 but the host registered 10.0.0.99")) {
            try good.check(against: members, cluster: "c1")
        }
        try good.check(against: Self.view(good).hosts, cluster: "c1")
        // The topology's own checks: a VNI used twice in the file.
        let twice = Self.file + "\n  red: {bridge: br0, vni: 42}\n"
        #expect(throws: (any Error).self) { try Self.fabric(twice) }
    }

    @Test func garbageInEtcdIsNamedAndIgnored() throws {
        var v = Self.view(try Self.fabric())
        #expect(v.hostFabrics.count == 3)
        v.apply(key: Self.keys.hostFabric("h2"), value: Array("{not json".utf8), modRevision: 11)
        #expect(v.hostFabrics["h2"] == nil)
        #expect(v.problems[Self.keys.hostFabric("h2")]?.contains("not a valid HostFabric record") == true)
        v.apply(key: "/tapestry/c1/whatever", value: Array("x".utf8))
        #expect(v.problems["/tapestry/c1/whatever"] != nil)
        // A record that decodes but is not valid (a bad bridge) is refused too.
        var bad = try #require(Self.fabric().hosts["h1"])
        bad.bridges[0].ports.append(bad.bridges[0].ports[0])
        v.apply(key: Self.keys.hostFabric("h1"), value: ClusterCodec.encode(bad))
        #expect(v.hostFabrics["h1"] == nil && v.problems[Self.keys.hostFabric("h1")] != nil)
        // A host's own view decodes only its own part.
        var mine = ClusterView(keys: Self.keys, onlyHost: "h1")
        for (k, value) in try Self.fabric().keyValues(Self.keys, meta: ClusterFabricMeta(source: "x", hosts: [], segments: [])) {
            mine.apply(key: k, value: value)
        }
        #expect(Array(mine.hostFabrics.keys) == ["h1"] && mine.segments.count == 1)
        // Fixing the key clears the problem.
        v.apply(key: Self.keys.hostFabric("h2"), value: ClusterCodec.encode(try Self.fabric().hosts["h2"]!))
        #expect(v.hostFabrics["h2"] != nil && v.problems[Self.keys.hostFabric("h2")] == nil)
    }

    @Test func plansNameEachChange() throws {
        let old = try Self.fabric()
        #expect(ClusterPlan(from: old, to: old).isEmpty)
        var new = old
        new.hosts["h3"] = nil
        new.segments["blue"]?.hosts = ["h1", "h2"]
        new.hosts["h1"]?.bridges[0].ports.removeAll { $0.name == "vm1" }
        let lines = ClusterPlan(from: old, to: new).changes.map(\.description)
        #expect(lines == ["~ segment blue: VNI 42 on bridge br0, hosts h1, h2", "~ host h1: bridge br0: - port vm1", "- host h3: its bridges are removed there"])
        #expect(ClusterPlan(from: ClusterFabric(), to: old).changes.count == 4)
    }

    @Test func hostsConvergeToTheirPartWithOthersMACsBehindTheirVTEPs() throws {
        var v = Self.view(try Self.fabric())
        let vm3 = MACAddress("02:00:00:00:00:03")!
        let k3 = ClusterMACKey(segment: "blue", vlan: VLANID(1)!, mac: vm3)
        v.apply(key: Self.keys.mac(segment: "blue", vlan: VLANID(1)!, mac: vm3),
                value: ClusterCodec.encode(ClusterMACRecord(host: "h3", vtep: IPAddress("10.0.0.13")!)))
        #expect(v.macs[k3]?.host == "h3")
        // h1 also has a bridge of its own, which stays.
        let own = BridgeConfig(name: "local0", mode: .learning, macAging: 300, macTableSize: 100)
        let current = DesiredState(generation: 5, bridges: [own])
        let (state, managed) = ClusterConvergence.desired(current: current, host: "h1", view: v, managed: [])
        #expect(managed == ["br0"])
        #expect(state.generation == 5)
        #expect(state.bridges.map(\.name) == ["local0", "br0"])
        let br0 = try #require(state.bridge(named: "br0"))
        #expect(br0.staticMACs.contains(StaticMAC(mac: vm3, vlan: VLANID(1)!, port: "vx42", remote: IPAddress("10.0.0.13"))))
        // The MACs the file would pin come from the hosts' records only (none from h2 yet).
        #expect(!br0.staticMACs.contains { $0.mac == MACAddress("52:54:00:00:00:02") })
        try state.validate()
        // h3 does not install its own MAC; after the fabric drops h1 its bridge goes, local0 stays.
        let (s3, _) = ClusterConvergence.desired(current: DesiredState(), host: "h3", view: v, managed: [])
        #expect(!(s3.bridge(named: "br0")?.staticMACs.contains { $0.mac == vm3 } ?? true))
        v.apply(key: Self.keys.hostFabric("h1"), value: nil)
        let (gone, m2) = ClusterConvergence.desired(current: state, host: "h1", view: v, managed: managed)
        #expect(gone.bridges.map(\.name) == ["local0"] && m2.isEmpty)
    }

    @Test func hostsPublishLearnedAndConfiguredMACsAndWithdrawStaleOnes() throws {
        var v = Self.view(try Self.fabric())
        let learned = [LocalMAC(bridge: "br0", port: "vm3", vlan: VLANID(1)!, mac: MACAddress("02:aa:00:00:00:03")!),
                       LocalMAC(bridge: "br0", port: "vx42", vlan: VLANID(1)!, mac: MACAddress("02:bb:00:00:00:01")!),
                       LocalMAC(bridge: "br0", port: "vm3", vlan: VLANID(1)!, mac: MACAddress("33:33:00:00:00:01")!)]
        let wanted = ClusterMACPublisher.wanted(host: "h3", view: v, learned: learned)
        // vm3's learned MAC (not the one behind the tunnel, not a multicast one) and vm3's generated MAC.
        #expect(wanted.count == 2)
        #expect(wanted.values.allSatisfy { $0 == ClusterMACRecord(host: "h3", vtep: IPAddress("10.0.0.13")!) })
        #expect(wanted.keys.contains(ClusterMACKey(segment: "blue", vlan: VLANID(1)!, mac: MACAddress("02:aa:00:00:00:03")!)))
        let first = ClusterMACPublisher.diff(host: "h3", wanted: wanted, view: v)
        #expect(first.put.count == 2 && first.delete.isEmpty)
        for (k, r) in first.put { v.apply(key: Self.keys.mac(segment: k.segment, vlan: k.vlan, mac: k.mac), value: ClusterCodec.encode(r)) }
        #expect(ClusterMACPublisher.diff(host: "h3", wanted: wanted, view: v).put.isEmpty)
        // The learned MAC ages out: withdrawn.
        let later = ClusterMACPublisher.wanted(host: "h3", view: v, learned: [])
        let second = ClusterMACPublisher.diff(host: "h3", wanted: later, view: v)
        #expect(second.put.isEmpty && second.delete == [ClusterMACKey(segment: "blue", vlan: VLANID(1)!, mac: MACAddress("02:aa:00:00:00:03")!)])
    }
}
