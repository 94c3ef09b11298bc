import Foundation
import HostSystem
import TestSupport
import Testing

/// Each example in Topologies/ brought up by `tapestry apply` as a self-contained lab: validate,
/// plan, apply, pings, a second apply that changes nothing, destroy that leaves nothing. Every lab
/// runs under a prefix unique in this process (`tp<pid>-<n>-`, from the counter NetnsWorld uses, so
/// that suites running in parallel never share a namespace) and lab directory, and is destroyed also on failure.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct TopologyLabTests {
    /// One applied example.
    final class Lab {
        let file: String
        let prefix: String
        let directory: String
        let name: String

        init(_ example: String) {
            file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Topologies/\(example).yaml").path
            prefix = NetnsWorld.uniquePrefix() + "-"
            directory = NSTemporaryDirectory() + "tapestry-labs-\(prefix)"
            name = example
        }

        /// `tapestry VERB FILE --prefix P` with the lab directory set.
        @discardableResult
        func tapestry(_ verb: String, timeout: Double = 120) -> Shell.Output {
            Shell.run("TAPESTRY_LAB_DIR=\(directory) \(NetnsWorld.binDirectory)/tapestry \(verb) \(Shell.quote(file)) --prefix \(prefix)", timeout: timeout)
        }

        func ns(_ name: String) -> String { "\(prefix)\(self.name)-\(name)" }

        func ping(from node: String, _ address: String) -> Bool {
            Shell.run("ip netns exec \(ns(node)) ping -c 3 -i 0.2 -W 1 \(address)", timeout: 15).ok
        }

        func exec(_ node: String, _ command: String) -> Shell.Output {
            Shell.run("ip netns exec \(ns(node)) sh -c \(Shell.quote(command))", timeout: 30)
        }

        var namespaces: [String] {
            Shell.run("ip netns list").stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
                .filter { $0.hasPrefix(prefix) }
        }

        /// The daemons' pids from the lab record.
        var daemonPIDs: [Int32] {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(prefix)\(name)/lab.json"),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let hosts = json["hosts"] as? [[String: Any]] else { return [] }
            return hosts.compactMap { ($0["pid"] as? Int).map(Int32.init) }
        }

        /// Alive and not a zombie (a daemon the CLI started is reaped by whoever adopted it).
        static func isRunning(_ pid: Int32) -> Bool {
            guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }

        /// destroy, then remove whatever is still there (by pid, inside our own namespaces only).
        func tearDown() {
            tapestry("destroy")
            for ns in namespaces {
                for pid in Shell.run("ip netns pids \(ns)").stdout.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
                Shell.run("ip netns del \(ns)")
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// The common life of an example: validate, plan, apply, `checks`, re-apply is a no-op, destroy leaves nothing.
        func run(_ checks: () throws -> Void) throws {
            defer { tearDown() }
            let valid = tapestry("validate")
            #expect(valid.ok, "\(valid)")
            let plan = tapestry("plan")
            #expect(plan.ok && plan.stdout.contains("+ "), "\(plan)")
            let apply = tapestry("apply")
            #expect(apply.ok, "\(apply)")
            guard apply.ok else { return }
            try checks()
            let again = tapestry("apply")
            #expect(again.ok && again.stdout.contains("nothing to do"), "second apply: \(again)")
            let replan = tapestry("plan")
            #expect(replan.stdout.contains("nothing to do"), "\(replan)")
            let pids = daemonPIDs
            #expect(!pids.isEmpty)
            let destroy = tapestry("destroy")
            #expect(destroy.ok, "\(destroy)")
            #expect(namespaces.isEmpty, "left behind: \(namespaces)")
            for pid in pids { #expect(!Lab.isRunning(pid), "tapestryd \(pid) still runs") }
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(prefix)\(name)"))
        }
    }

    /// A lab's namespaces are those starting with its prefix (that is what its teardown deletes), so
    /// no lab prefix may start a world's namespace names, also when prefixes are taken from several
    /// threads at once (suites in parallel).
    @Test func labPrefixesNeverStartAWorldsNamespaces() {
        let taken = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let p = i % 2 == 0 ? NetnsWorld.uniquePrefix() + "-" : NetnsWorld.uniquePrefix() + "-tag-"
            taken.update { $0.append(p) }
        }
        let all = taken.get()
        #expect(Set(all).count == all.count, "a prefix was given twice")
        let labs = all.filter { !$0.hasSuffix("-tag-") }, worlds = all.filter { $0.hasSuffix("-tag-") }
        let clashes = labs.flatMap { lab in worlds.filter { $0.hasPrefix(lab) }.map { "\(lab) starts \($0)" } }
        #expect(clashes.isEmpty, "\(clashes.prefix(5))")
    }

    @Test func learningLab() throws {
        let lab = Lab("learning-lab")
        try lab.run {
            #expect(lab.ping(from: "vm1", "10.50.0.2"))
            #expect(lab.ping(from: "vm1", "10.50.0.3"))
            #expect(lab.ping(from: "vm2", "10.50.0.3"))
        }
    }

    /// Two bridges joined by a patch pair declared in the file (`type: patch, peer:`): vm1 on br-a
    /// reaches vm2 on br-b, which only the pair joins.
    @Test func patchBridges() throws {
        let lab = Lab("patch-bridges")
        try lab.run {
            #expect(lab.ping(from: "vm1", "10.66.0.2"), "vm1 on br-a does not reach vm2 on br-b through the patch pair")
        }
    }

    @Test func vlans() throws {
        let lab = Lab("vlans")
        try lab.run {
            #expect(lab.ping(from: "a10", "10.10.0.12"), "same VLAN")
            #expect(lab.ping(from: "a10", "10.20.0.21"), "routed between VLANs through gw10/gw20")
            // Without the router's help VLAN 20 is not on VLAN 10's segment: no ARP answer from 10.20.0.21 directly.
            let direct = lab.exec("a10", "ip route del default; ping -c 2 -W 1 10.20.0.21; r=$?; ip route add default via 10.10.0.1; exit $r")
            #expect(!direct.ok)
        }
    }

    @Test func isolated() throws {
        let lab = Lab("isolated")
        try lab.run {
            #expect(lab.ping(from: "vm1", "10.60.0.254"), "isolated port reaches the uplink")
            #expect(lab.ping(from: "gw", "10.60.0.2"), "the uplink reaches an isolated port")
            #expect(!lab.ping(from: "vm1", "10.60.0.2"), "isolated ports must not reach each other")
        }
    }

    @Test func twoHostsVXLAN() throws {
        let lab = Lab("two-hosts-vxlan")
        try lab.run {
            #expect(lab.ping(from: "vm1", "192.168.42.2"))
            // vm2's MAC is pinned on host a behind the tunnel to 10.0.0.2 (pre-provisioned, not learned).
            let fdb = Shell.run("\(NetnsWorld.binDirectory)/tapestry --socket \(lab.directory)/\(lab.prefix)two-hosts-vxlan/hosts/a/run/tapestryd.sock fdb-show br0")
            #expect(fdb.stdout.contains("52:54:00:00:01:02"), "\(fdb)")
        }
    }

    @Test func twoHostsVXLANOverIPv6() throws {
        let lab = Lab("two-hosts-vxlan-ipv6")
        try lab.run {
            #expect(lab.ping(from: "vm1", "192.168.46.2"))
            #expect(lab.ping(from: "vm2", "192.168.46.1"))
            // The hosts' underlay link has only its IPv6 address; vm2's MAC is pinned behind the tunnel to b's.
            let ul = Shell.run("ip -n \(lab.ns("a")) addr show ul0")
            #expect(ul.stdout.contains("inet6 fd00:46::1/64") && !ul.stdout.contains("inet "), "\(ul)")
            let fdb = Shell.run("\(NetnsWorld.binDirectory)/tapestry --socket \(lab.directory)/\(lab.prefix)two-hosts-vxlan-ipv6/hosts/a/run/tapestryd.sock fdb-show br0")
            #expect(fdb.stdout.contains("52:54:00:00:46:02") && fdb.stdout.contains("fd00:46::2"), "\(fdb)")
        }
    }

    @Test func threeHostsMesh() throws {
        let lab = Lab("three-hosts-mesh")
        try lab.run {
            #expect(lab.ping(from: "r1", "172.16.10.2"))
            #expect(lab.ping(from: "r1", "172.16.10.3"))
            #expect(lab.ping(from: "r2", "172.16.10.3"))
            #expect(lab.ping(from: "g1", "172.16.20.2"))
        }
    }

    @Test func natNetwork() throws {
        let lab = Lab("nat-network")
        try lab.run {
            for vm in ["vm1", "vm2"] {
                let addr = lab.exec(vm, "ip -4 -o addr show \(vm)").stdout
                #expect(addr.contains("192.168.150."), "\(vm) got no lease: \(addr)")
                #expect(lab.ping(from: vm, "198.51.100.2"), "\(vm) reaches the wan node through NAT")
            }
        }
    }

    @Test func libvirtDefault() throws {
        let lab = Lab("libvirt-default")
        try lab.run {
            #expect(lab.exec("vm1", "ip -4 -o addr show vm1").stdout.contains("192.168.122."))
            #expect(lab.ping(from: "vm2", "192.168.122.1"))
            #expect(lab.ping(from: "vm1", "192.168.122.50"))
        }
    }

    /// A change that fails half way: everything this apply made is undone and the error names the change.
    @Test func failedApplyRollsBack() throws {
        let lab = Lab("rollback")
        let dir = NSTemporaryDirectory() + "tapestry-rollback-\(lab.prefix)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/rollback.yaml"
        // A DHCP node on a bridge without a DHCP server: its configuration fails after everything else was made.
        try """
            name: rollback
            hosts: {h1: {}}
            bridges: {br0: {ports: {vm1: {}}}}
            nodes: {vm1: {port: vm1, address: dhcp}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let out = Shell.run("TAPESTRY_LAB_DIR=\(lab.directory) \(NetnsWorld.binDirectory)/tapestry apply \(path) --prefix \(lab.prefix)", timeout: 120)
        defer {
            Shell.run("TAPESTRY_LAB_DIR=\(lab.directory) \(NetnsWorld.binDirectory)/tapestry destroy \(path) --prefix \(lab.prefix)")
            lab.tearDown()
        }
        #expect(!out.ok)
        #expect(out.stderr.contains("node vm1") && out.stderr.contains("rolled back"), "\(out)")
        #expect(lab.namespaces.isEmpty, "left behind: \(lab.namespaces)")
        #expect(lab.daemonPIDs.allSatisfy { !Lab.isRunning($0) })
    }
}
