import ClusterModel
import TapestryModel
import Testing

/// What a host watches (the fabric and its segments' MACs only), how batches are split to fit
/// etcd's transaction limit, and the per-segment MAC bookkeeping of the view.
struct ClusterWatchPlanTests {
    static let keys = ClusterModelTests.keys

    /// Two segments: blue on h1 and h2, red on h2 and h3 (each on its own bridge).
    static func twoSegments() throws -> ClusterView {
        let text = """
        version: 1
        name: fab
        hosts:
          h1: {underlay: 10.0.0.11/24}
          h2: {underlay: 10.0.0.12/24}
          h3: {underlay: 10.0.0.13/24}
        bridges:
          br0:
            hosts: [h1, h2]
            ports:
              vm1: {host: h1, mtu: 1450, netns: vm1}
              vm2: {host: h2, mtu: 1450, netns: vm2}
          br1:
            hosts: [h2, h3]
            ports:
              vm3: {host: h2, mtu: 1450, netns: vm3}
              vm4: {host: h3, mtu: 1450, netns: vm4}
        segments:
          blue: {bridge: br0, vni: 100}
          red: {bridge: br1, vni: 200}
        """
        return ClusterModelTests.view(try ClusterModelTests.fabric(text))
    }

    @Test func aHostWatchesTheFabricAndOnlyItsSegmentsMACs() throws {
        let v = try Self.twoSegments()
        let k = Self.keys
        #expect(ClusterWatchPlan.prefixes(host: "h1", view: v) == [k.fabricPrefix, k.macs(segment: "blue")])
        #expect(ClusterWatchPlan.prefixes(host: "h2", view: v) == [k.fabricPrefix, k.macs(segment: "blue"), k.macs(segment: "red")])
        #expect(ClusterWatchPlan.segments(host: "h3", view: v) == ["red"])
        #expect(ClusterWatchPlan.segments(host: "h9", view: v).isEmpty)
        // No prefix of one segment covers another's keys (blue/ is not a prefix of blue2/).
        #expect(!k.macs(segment: "blue2").hasPrefix(k.macs(segment: "blue")))
    }

    @Test func batchesFitEtcdsTransactionLimit() {
        let items = Array(0..<300)
        let chunks = ClusterTxnLimit.chunks(items)
        #expect(chunks.map(\.count) == [128, 128, 44])
        #expect(chunks.flatMap { $0 } == items)
        #expect(ClusterTxnLimit.chunks([Int]()).isEmpty)
        #expect(ClusterTxnLimit.chunks([1, 2, 3], size: 0) == [[1], [2], [3]])
    }

    @Test func macsOfASegmentAreReplacedAndDroppedAlone() throws {
        var v = try Self.twoSegments()
        let k = Self.keys
        let record = ClusterCodec.encode(ClusterMACRecord(host: "h2", vtep: IPAddress("10.0.0.12")!))
        let m1 = MACAddress("02:00:00:00:00:01")!, m2 = MACAddress("02:00:00:00:00:02")!
        let one = VLANID(1)!
        v.apply(key: k.mac(segment: "blue", vlan: one, mac: m1), value: record)
        v.apply(key: k.mac(segment: "red", vlan: one, mac: m1), value: record)
        v.apply(key: k.mac(segment: "red", vlan: one, mac: m2), value: Array("garbage".utf8))
        #expect(v.problems.count == 1)
        // A fresh read of red holds only m2: m1 of red goes, blue's m1 stays, red's problem is gone.
        v.replaceMACs(segment: "red", with: [(k.mac(segment: "red", vlan: one, mac: m2), record)])
        #expect(Set(v.macs.keys) == [ClusterMACKey(segment: "blue", vlan: one, mac: m1), ClusterMACKey(segment: "red", vlan: one, mac: m2)])
        #expect(v.problems.isEmpty)
        v.dropMACs(segment: "blue")
        #expect(Set(v.macs.keys) == [ClusterMACKey(segment: "red", vlan: one, mac: m2)])
    }

    @Test func namesAreCheckedByteByByte() {
        for good in ["h1", "rack-7.host_2", "A", String(repeating: "x", count: 63)] { #expect(ClusterNames.isValid(good), "\(good)") }
        for bad in ["", ".", "..", "a/b", "é", "a b", "h1\n", String(repeating: "x", count: 64)] { #expect(!ClusterNames.isValid(bad), "\(bad)") }
    }

    /// A segment of 2,000 published MACs converges in one pass (it was a list search per record).
    @Test func convergenceInstallsEveryMACOfASegmentOnce() throws {
        var v = try Self.twoSegments()
        let k = Self.keys
        let record = ClusterCodec.encode(ClusterMACRecord(host: "h2", vtep: IPAddress("10.0.0.12")!))
        for i in 0..<2000 {
            v.apply(key: k.mac(segment: "blue", vlan: VLANID(1)!, mac: MACAddress(rawValue: 0x0200_0000_0000 | UInt64(i))), value: record)
        }
        let r = ClusterConvergence.desired(current: DesiredState(), host: "h1", view: v, managed: [])
        let br0 = try #require(r.state.bridges.first { $0.name == "br0" })
        #expect(br0.staticMACs.count == 2000)
        #expect(br0.staticMACs.map(\.mac) == br0.staticMACs.map(\.mac).sorted())
        #expect(br0.staticMACs.allSatisfy { $0.remote == IPAddress("10.0.0.12")! })
    }

    /// An apply too large for one transaction holds `fabric/lock`: what it writes meanwhile takes
    /// effect in the view when the lock goes, all at once.
    @Test func changesUnderTheApplyLockWaitForItsEnd() throws {
        var v = try Self.twoSegments()
        let k = Self.keys
        #expect(k.parse(k.fabricLock) == .fabricLock)
        let red = try #require(v.segments["red"])
        var moved = red
        moved.hosts = ["h3"]
        #expect(v.apply(key: k.fabricLock, value: Array("1234".utf8), modRevision: 20, lease: 5) == .none)
        #expect(v.apply(key: k.segment("red"), value: ClusterCodec.encode(moved), modRevision: 21) == .none)
        #expect(v.apply(key: k.hostFabric("h1"), value: nil, modRevision: 21) == .none)
        #expect(v.segments["red"] == red)
        #expect(v.hostFabrics["h1"] != nil)
        #expect(v.problems.isEmpty)
        #expect(v.apply(key: k.fabricLock, value: nil, modRevision: 22) == .fabric)
        #expect(v.segments["red"] == moved)
        #expect(v.hostFabrics["h1"] == nil)
        #expect(v.held == nil)
    }
}
