import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// A cluster of tapestryd hosts sharing their fabric through a real 3-member etcd, all in
/// namespaces joined by one underlay bridge: `cluster apply`, convergence, MAC publishing (known
/// unicast goes to one VTEP), hosts that die and come back, etcd that goes away.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && EtcdTestCluster.isAvailable, "needs root, ip netns and etcd-server"))
struct ClusterTests {
    final class Lab: @unchecked Sendable {
        let world: NetnsWorld
        let etcd: EtcdTestCluster
        var hosts: [String] = []
        var daemons: [NetnsWorld.Daemon] = []
        var vms: [String: String] = [:]
        let file: String

        /// `hostCount` hosts at 10.77.0.21…, each with a tapestryd in cluster `t`; VMs per `layout`
        /// (vm name → (host index 1-based, segment)). Segment blue is br0/VNI 100, red is br1/VNI 200.
        /// `daemonArguments`: further tapestryd options of every host. With `ipv6`, the hosts' underlays
        /// (tunnels) are fd00:77::21… on the same links (etcd stays on IPv4).
        init(_ tag: String, hosts hostCount: Int, layout: [(String, Int, String)], ttl: Int = 2, daemonArguments: [String] = [],
             ipv6: Bool = false) throws {
            world = NetnsWorld(tag)
            etcd = try EtcdTestCluster(world: world, size: 3)
            try etcd.startAll()
            // dnsmasq drops root and must reach its files under a daemon's state directory
            // (tapestryd creates missing parents 0750): the daemons' directories are made first.
            chmod(world.tempDirectory, 0o755)
            for i in 1...hostCount {
                try? FileManager.default.createDirectory(atPath: world.tempDirectory + "/d\(i)", withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o755])
            }
            for i in 1...hostCount {
                let h = world.namespace("h\(i)")
                try etcd.attach(h, address: "10.77.0.\(20 + i)")
                hosts.append(h)
                let underlay = ipv6 ? "fd00:77::\(20 + i)" : "10.77.0.\(20 + i)"
                if ipv6 {
                    let added = world.exec(h, "ip addr add \(underlay)/64 dev eth0 nodad")
                    guard added.ok else { throw TestWorldError("IPv6 underlay of h\(i): \(added)") }
                }
                daemons.append(try world.startDaemon(in: h, name: "d\(i)", arguments: [
                    "--cluster", etcd.clusterURL, "--cluster-name", "t", "--host-name", "h\(i)",
                    "--underlay", underlay, "--cluster-ttl", String(ttl), "--datapath-threads", "1"] + daemonArguments))
            }
            var yaml = "version: 1\nname: c\nhosts:\n"
            for i in 1...hostCount {
                yaml += ipv6 ? "  h\(i): {underlay: \"fd00:77::\(20 + i)/64\"}\n" : "  h\(i): {underlay: 10.77.0.\(20 + i)/24}\n"
            }
            yaml += "bridges:\n"
            let used = Set(layout.map(\.2))
            for (bridge, segment) in [("br0", "blue"), ("br1", "red")] where used.contains(segment) {
                yaml += "  \(bridge):\n    ports:\n"
                for (vm, host, s) in layout where s == segment {
                    let ns = world.namespace(vm)
                    vms[vm] = ns
                    yaml += "      \(vm): {host: h\(host), mtu: 1450, netns: \(ns)}\n"
                }
            }
            yaml += "segments:\n  blue: {bridge: br0, vni: 100}\n"
            if used.contains("red") { yaml += "  red: {bridge: br1, vni: 200}\n" }
            file = world.tempDirectory + "/fabric.yaml"
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        }

        /// `tapestry --cluster … cluster ARGS` run in host 1's namespace (any host reaches etcd).
        @discardableResult
        func cluster(_ args: String...) -> Shell.Output {
            world.exec(hosts[0], "\(NetnsWorld.binDirectory)/tapestry --cluster \(etcd.clusterURL) --cluster-name t cluster "
                       + args.map(Shell.quote).joined(separator: " "), timeout: 30)
        }

        /// Gives each VM its address 192.168.77.<n> (n from its name: vmN).
        func addresses() throws {
            for (vm, ns) in vms {
                let n = vm.dropFirst(2)
                let out = world.exec(ns, "ip addr replace 192.168.77.\(n)/24 dev \(vm) && ip link set \(vm) up")
                guard out.ok else { throw TestWorldError("address of \(vm): \(out)") }
            }
        }

        func mac(_ vm: String) -> String {
            world.exec(vms[vm]!, "cat /sys/class/net/\(vm)/address").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func fdb(_ host: Int, _ bridge: String) throws -> FDBShowResult {
            try daemons[host - 1].json(FDBShowResult.self, "fdb-show", bridge)
        }

        func status() throws -> StatusJSON {
            let out = cluster("--format", "json", "status")
            guard out.ok else { throw TestWorldError("cluster status: \(out)") }
            return try JSONDecoder().decode(StatusJSON.self, from: Data(out.stdout.utf8))
        }

        func close() { world.close() }
    }

    struct StatusJSON: Decodable {
        struct Host: Decodable { var host: String; var alive: Bool; var converged: Bool; var appliedRevision: Int64 }
        struct Segment: Decodable { var segment: String; var vni: Int; var vteps: [String] }
        var fabricRevision: Int64
        var hosts: [Host]
        var segments: [Segment]
        var problems: [String]
    }

    /// Polls `condition` every 50 ms for at most `seconds`; returns how long it took, or nil.
    static func within(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if try condition() { return Date().timeIntervalSince(start) }
            usleep(50_000)
        }
        return nil
    }

    /// The issue's shape: 4 hosts with 2 VMs each, one on each segment.
    static let layout: [(String, Int, String)] = [("vm1", 1, "blue"), ("vm2", 2, "blue"), ("vm5", 3, "blue"), ("vm7", 4, "blue"),
                                                  ("vm3", 1, "red"), ("vm4", 2, "red"), ("vm6", 3, "red"), ("vm8", 4, "red")]

    @Test func applyConvergesAndKnownUnicastGoesToOneVTEP() throws {
        let lab = try Lab("clu", hosts: 4, layout: Self.layout)
        defer { lab.close() }
        let plan = lab.cluster("plan", lab.file)
        #expect(plan.ok && plan.stdout.contains("+ segment blue: VNI 100"), "\(plan)")
        let apply = lab.cluster("apply", lab.file, "--wait", "2")
        try #require(apply.ok, "cluster apply: \(apply)\n\(lab.daemons.map(\.log).joined(separator: "\n"))")
        let status = try lab.status()
        #expect(status.hosts.count == 4 && status.hosts.allSatisfy { $0.alive && $0.converged }, "\(status)")
        #expect(status.segments.first { $0.segment == "blue" }?.vteps.sorted() == ["10.77.0.21", "10.77.0.22", "10.77.0.23", "10.77.0.24"])
        #expect(lab.cluster("plan", lab.file).stdout.contains("no changes"))
        try lab.addresses()
        // Within a segment every VM reaches the others (every host pair crossed); across segments
        // none, neither to another host nor between the two VMs of one host.
        for (from, to) in [("vm1", [2, 5, 7]), ("vm2", [5, 7]), ("vm5", [7]), ("vm3", [4, 6, 8]), ("vm4", [6, 8]), ("vm6", [8])] {
            for n in to { #expect(lab.world.ping(from: lab.vms[from]!, "192.168.77.\(n)"), "\(from) → vm\(n)") }
        }
        #expect(!lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.4", count: 2))
        #expect(!lab.world.ping(from: lab.vms["vm7"]!, "192.168.77.8", count: 2))
        // h1 knows vm2's MAC behind h2's VTEP, from h2's record.
        let vm2 = lab.mac("vm2")
        let entry = try lab.fdb(1, "br0").entries.first { $0.mac.description == vm2 }
        #expect(entry?.isStatic == true && entry?.remote == IPAddress("10.77.0.22"), "\(String(describing: entry))")
        let fdb = lab.cluster("fdb", "blue")
        #expect(fdb.ok && fdb.stdout.contains(vm2) && fdb.stdout.contains("10.77.0.22"), "\(fdb)")
        // Unicast between known MACs: nothing reaches h3's underlay link, while h2's sees the pings.
        let toH3 = lab.world.capture(lab.hosts[2], "eth0", filter: "udp port 4789") {
            _ = lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2", count: 10)
        }
        let toH2 = lab.world.capture(lab.hosts[1], "eth0", filter: "udp port 4789") {
            _ = lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2", count: 5)
        }
        // (Broadcast and multicast — ARP requests, router solicitations — are replicated, as they should be.)
        let echoes = { (lines: [String]) in lines.filter { $0.contains("192.168.77.1 > 192.168.77.2: ICMP echo") } }
        #expect(echoes(toH2).count >= 5, "the capture on h2 saw \(echoes(toH2).count) of vm1's pings: \(toH2.prefix(6))")
        #expect(echoes(toH3).isEmpty, "h3 received flooded unicast: \(echoes(toH3).prefix(5))")
    }

    @Test func deadHostsLoseTheirMACsAndComeBack() throws {
        let lab = try Lab("cld", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")], ttl: 2)
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        let vm2 = lab.mac("vm2")
        func h1KnowsVM2() throws -> Bool { try lab.fdb(1, "br0").entries.contains { $0.mac.description == vm2 && $0.isStatic } }
        #expect(try h1KnowsVM2())
        lab.daemons[1].kill9()
        let gone = try Self.within(4) { !(try h1KnowsVM2()) && !lab.cluster("fdb", "blue").stdout.contains(vm2) }
        #expect(gone != nil && gone! <= 3.0, "h2's MACs were still known \(gone ?? -1) s after its death (TTL 2)")
        #expect(try lab.status().hosts.first { $0.host == "h2" }?.alive == false)
        // Restarted, it registers again, converges and publishes: traffic flows again.
        try lab.daemons[1].start()
        try lab.addresses()
        let back = try Self.within(5) { try h1KnowsVM2() && (try lab.status().hosts.allSatisfy { $0.alive && $0.converged }) }
        #expect(back != nil, "h2 did not come back")
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func aVMThatMovesIsFollowed() throws {
        let lab = try Lab("clm", hosts: 3, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue"), ("vm5", 3, "blue")])
        defer { lab.close() }
        // vm2 keeps its MAC wherever it goes.
        let text = try String(contentsOfFile: lab.file, encoding: .utf8)
            .replacingOccurrences(of: "vm2: {host: h2,", with: "vm2: {host: h2, mac: \"52:54:00:00:77:02\",")
        try text.write(toFile: lab.file, atomically: true, encoding: .utf8)
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        // The VM moves to h3: its port is deleted on h2 and added on h3 with the same MAC (into the
        // namespace standing for the VM on h3), and it keeps its address.
        let there = lab.world.namespace("vm2b")
        let moved = lab.world.tempDirectory + "/moved.yaml"
        try text.replacingOccurrences(of: "vm2: {host: h2,", with: "vm2: {host: h3,")
            .replacingOccurrences(of: "netns: \(lab.vms["vm2"]!)}", with: "netns: \(there)}")
            .write(toFile: moved, atomically: true, encoding: .utf8)
        let apply = lab.cluster("apply", moved, "--wait", "3")
        try #require(apply.ok, "\(apply)")
        let start = Date()
        try #require(lab.world.exec(there, "ip addr add 192.168.77.2/24 dev vm2 && ip link set vm2 up").ok)
        let followed = Self.within(3) { lab.world.exec(lab.vms["vm1"]!, "ping -c 1 -W 0.2 192.168.77.2").ok }
        #expect(followed != nil && Date().timeIntervalSince(start) <= 1.5, "traffic followed after \(followed ?? -1) s")
        let entry = try lab.fdb(1, "br0").entries.first { $0.mac.description == "52:54:00:00:77:02" }
        #expect(entry?.remote == IPAddress("10.77.0.23"), "\(String(describing: entry))")
        #expect(lab.cluster("fdb", "blue").stdout.contains("10.77.0.23"))
    }

    /// 130 hosts (2 real, 128 registered by hand) are more keys than one etcd transaction may hold
    /// (128 operations, etcd's default, which the test members keep): the apply writes them in
    /// several under `fabric/lock`, releases it, and the real hosts converge and forward.
    @Test func anApplyLargerThanOneTransaction() throws {
        let lab = try Lab("clx", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")])
        defer { lab.close() }
        var yaml = try String(contentsOfFile: lab.file, encoding: .utf8)
        var extra = ""
        for i in 1...128 {
            let record = "{\"appliedRevision\":0,\"underlay\":\"10.77.0.\(100 + i)\",\"version\":\"test\"}"
            let put = lab.etcd.etcdctl("put /tapestry/t/hosts/f\(i) \(Shell.quote(record))")
            try #require(put.ok, "registering hand-made host f\(i): \(put)")
            extra += "  f\(i): {underlay: 10.77.0.\(100 + i)/24}\n"
        }
        yaml = yaml.replacingOccurrences(of: "bridges:\n  br0:\n", with: extra + "bridges:\n  br0:\n    hosts: [h1, h2]\n")
        try yaml.write(toFile: lab.file, atomically: true, encoding: .utf8)
        let apply = lab.cluster("apply", lab.file)
        try #require(apply.ok, "cluster apply of 130 hosts: \(apply)")
        let stored = lab.etcd.etcdctl("get --prefix --keys-only /tapestry/t/fabric/hosts/")
        #expect(stored.ok && stored.stdout.split(separator: "\n").count == 130, "\(stored)")
        #expect(lab.etcd.etcdctl("get /tapestry/t/fabric/lock").stdout.isEmpty, "the apply left its lock")
        let converged = Self.within(5) {
            (try? lab.status())?.hosts.filter { $0.host.hasPrefix("h") }.allSatisfy { $0.alive && $0.converged } == true
        }
        #expect(converged != nil, "the real hosts did not converge: \(String(describing: try? lab.status()))")
        #expect(lab.cluster("plan", lab.file).stdout.contains("no changes"))
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func losingEtcdKeepsForwardingAndRefusesChanges() throws {
        let lab = try Lab("cle", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")])
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        lab.etcd.stopAll()
        // The hosts go on forwarding with what they knew; a change is refused with a clear message.
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        let refused = lab.cluster("apply", lab.file)
        #expect(!refused.ok && refused.stderr.contains("could not apply") && refused.stderr.contains("etcd is unavailable"), "\(refused)")
        sleep(3)
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"), "forwarding stopped without etcd")
        // Back: the hosts register again and converge.
        try lab.etcd.startAll()
        let back = Self.within(10) { (try? lab.status())?.hosts.allSatisfy { $0.alive && $0.converged } == true }
        #expect(back != nil, "the hosts did not reconverge after etcd came back")
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func killingTheEtcdLeaderDuringAnApplyLeavesAConsistentCluster() throws {
        let lab = try Lab("cll", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")])
        defer { lab.close() }
        var found: Int?
        _ = Self.within(20) { found = lab.etcd.leader(); return found != nil }
        let leader = try #require(found, "no etcd leader found:\n\(lab.etcd.etcdctl("endpoint status -w json"))")
        let out = lab.world.tempDirectory + "/apply.out"
        let pid = lab.world.spawn(lab.hosts[0], "\(NetnsWorld.binDirectory)/tapestry --cluster \(lab.etcd.clusterURL) --cluster-name t cluster apply \(lab.file) > \(out) 2>&1; echo rc=$? >> \(out)")
        #expect(pid > 0)
        lab.etcd.kill9(leader)
        let finished = Self.within(30) { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("rc=") }
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(finished != nil, "cluster apply did not end: \(text)")
        // Either it completed, or it failed with one line naming why; never a half-written fabric.
        #expect(text.contains("rc=0") || text.contains("could not apply"), "\(text)")
        let settled = Self.within(10) {
            guard let s = try? lab.status() else { return false }
            return s.hosts.allSatisfy { $0.alive && $0.converged } && (s.fabricRevision == 0) == s.segments.isEmpty
        }
        #expect(settled != nil, "the hosts did not converge to what etcd holds")
        // Applying again (with the leader still dead) works and converges.
        let again = lab.cluster("apply", lab.file, "--wait", "5")
        #expect(again.ok, "\(again)")
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func aHostCutFromTheUnderlayComesBackCleanly() throws {
        let lab = try Lab("clp", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")], ttl: 2)
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        let vm2 = lab.mac("vm2")
        // h2 loses the underlay (etcd and tunnels) for 10 s: its lease expires, h1 drops its MACs.
        #expect(lab.world.exec(lab.hosts[1], "ip link set eth0 down").ok)
        let dropped = try Self.within(5) { !(try lab.fdb(1, "br0").entries.contains { $0.mac.description == vm2 && $0.isStatic }) }
        #expect(dropped != nil, "h1 kept the MACs of a host cut off for longer than its TTL")
        sleep(7)
        #expect(lab.world.exec(lab.hosts[1], "ip link set eth0 up").ok)
        let back = try Self.within(10) {
            try lab.fdb(1, "br0").entries.contains { $0.mac.description == vm2 && $0.isStatic }
                && ((try? lab.status())?.hosts.allSatisfy { $0.alive && $0.converged } ?? false)
        }
        #expect(back != nil, "h2 did not come back after its underlay returned")
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }

    @Test func garbageAndConflictsAreRefusedOrIgnored() throws {
        let lab = try Lab("clg", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue"), ("vm3", 1, "red")])
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        // A host that is not a member.
        let text = try String(contentsOfFile: lab.file, encoding: .utf8)
        let extra = lab.world.tempDirectory + "/extra.yaml"
        try text.replacingOccurrences(of: "hosts:\n", with: "hosts:\n  h9: {underlay: 10.77.0.99/24}\n").write(toFile: extra, atomically: true, encoding: .utf8)
        let unknown = lab.cluster("apply", extra)
        #expect(!unknown.ok && unknown.stderr.contains("host h9 is not a member of cluster t"), "\(unknown)")
        // A VNI used twice.
        let twice = lab.world.tempDirectory + "/twice.yaml"
        try text.replacingOccurrences(of: "vni: 200", with: "vni: 100").write(toFile: twice, atomically: true, encoding: .utf8)
        let dup = lab.cluster("apply", twice)
        #expect(!dup.ok && dup.stderr.contains("100"), "\(dup)")
        // Garbage written by hand: named by status, the hosts keep running and still converge.
        #expect(lab.etcd.etcdctl("put /tapestry/t/fabric/hosts/h2 'not json'").ok)
        #expect(lab.etcd.etcdctl("put /tapestry/t/macs/blue/1/zz:zz 'x'").ok)
        let status = try lab.status()
        #expect(status.problems.contains { $0.contains("/tapestry/t/fabric/hosts/h2") }, "\(status.problems)")
        #expect(lab.daemons.allSatisfy { $0.isAlive })
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
    }
}
