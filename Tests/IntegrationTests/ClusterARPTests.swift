import ControlProtocol
import Foundation
import TapestryModel
import TestSupport
import Testing

/// `tapestryd --arp-suppress` in a real cluster (the `ClusterTests` lab: 3 etcd members, hosts in
/// namespaces on one underlay bridge): a VM's address is snooped and published with its MAC, and
/// the other host answers ARP requests for it itself — none crosses the underlay.
extension ClusterTests {
    @Test func arpSuppressionAnswersForPublishedAddressesWithoutFlooding() throws {
        let lab = try Lab("cla", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")], daemonArguments: ["--arp-suppress"])
        defer { lab.close() }
        let apply = lab.cluster("apply", lab.file, "--wait", "3")
        try #require(apply.ok, "cluster apply: \(apply)")
        try lab.addresses()
        // The first ping's ARP (flooded: nothing is known yet) lets h2 snoop vm2's reply.
        #expect(lab.world.ping(from: lab.vms["vm1"]!, "192.168.77.2"))
        let vm1 = lab.mac("vm1"), vm2 = lab.mac("vm2")
        let record = "/tapestry/t/macs/blue/1/\(vm2)"
        let published = Self.within(5) { lab.etcd.etcdctl("get --print-value-only \(record)").stdout.contains("192.168.77.2") }
        #expect(published != nil, "h2 did not publish vm2's address: \(lab.etcd.etcdctl("get --prefix /tapestry/t/macs/"))")
        let fdb = lab.cluster("fdb", "blue")
        #expect(fdb.ok && fdb.stdout.split(separator: "\n").contains { $0.contains(vm2) && $0.contains("192.168.77.2") }, "\(fdb)")
        // h1 installs it: trace says the request is answered by ARP suppression.
        var trace: TraceResult?
        let installed = Self.within(5) {
            trace = try? lab.daemons[0].json(TraceResult.self, "trace", "br0", "--in-port", "vm1", "--src", vm1,
                                             "--dst", "ff:ff:ff:ff:ff:ff", "--arp-target", "192.168.77.2", "--arp-sender", "192.168.77.1")
            return trace?.action == "reply"
        }
        #expect(installed != nil, "h1 does not answer for 192.168.77.2: \(String(describing: trace))")
        #expect(trace?.steps.contains { $0.contains("answered by ARP suppression") } == true && trace?.outputs.map(\.port) == ["vm1"])
        // A capture of vm1's outgoing ARP replies on h1 sees the bridge's answer.
        let h1 = lab.daemons[0]
        let before = h1.eventCount("capture-started")
        let replies = lab.world.backgroundCLI(h1, ["capture", "br0", "vm1", "-c", "1", "--direction", "out", "--filter", "arp[6:2] = 2"],
                                              name: "arpcap")
        #expect(h1.waitCaptureStarted(after: before))
        // vm1 forgets its neighbours and pings again (and asks for an address nobody has): on h2's
        // underlay link the pings arrive, and the unknown address's requests, but no request for vm2.
        let lines = lab.world.capture(lab.hosts[1], "eth0", filter: "udp port 4789") {
            _ = lab.world.exec(lab.vms["vm1"]!, "ip neigh flush all; ping -c 1 -W 1 192.168.77.99")
            #expect(lab.world.exec(lab.vms["vm1"]!, "ip neigh flush all && ping -c 3 -i 0.2 -W 1 192.168.77.2").ok,
                    "vm1 could not reach vm2 after flushing its neighbours")
        }
        let echoes = lines.filter { $0.contains("192.168.77.1 > 192.168.77.2: ICMP echo request") }
        let unknown = lines.filter { $0.contains("Request who-has 192.168.77.99") }
        let suppressed = lines.filter { $0.contains("Request who-has 192.168.77.2") }
        #expect(echoes.count >= 3, "the capture saw \(echoes.count) of vm1's pings: \(lines.prefix(8))")
        #expect(unknown.count >= 1, "the capture saw no ARP flood for an unknown address: \(lines.prefix(8))")
        #expect(suppressed.isEmpty, "ARP requests for a published address crossed the underlay: \(suppressed)")
        #expect(lab.world.waitExit(replies.pid), "the capture of vm1 saw no ARP reply")
        let captured = (try? String(contentsOfFile: replies.stdout, encoding: .utf8)) ?? ""
        #expect(captured.contains("out ") && captured.contains("192.168.77.2") && captured.contains(vm2), "\(captured)")
        // vm1 learned vm2's MAC from h1's answer; h1 counted it.
        let neigh = lab.world.exec(lab.vms["vm1"]!, "ip neigh show 192.168.77.2").stdout
        #expect(neigh.contains(vm2), "\(neigh)")
        let stats = try lab.daemons[0].json(StatsResult.self, "stats", "br0", "vm1")
        #expect((stats.ports.first?.arpAnswered ?? 0) >= 1, "\(stats)")
    }

    /// The same for IPv6: a VM's address is snooped from neighbour discovery and published; the
    /// other host answers solicitations for it with an advertisement, and none crosses the underlay.
    @Test func neighbourDiscoveryIsSuppressedForPublishedIPv6Addresses() throws {
        let lab = try Lab("cln", hosts: 2, layout: [("vm1", 1, "blue"), ("vm2", 2, "blue")], daemonArguments: ["--arp-suppress"])
        defer { lab.close() }
        try #require(lab.cluster("apply", lab.file, "--wait", "3").ok)
        try lab.addresses()
        for (vm, n) in [("vm1", 1), ("vm2", 2)] {
            let out = lab.world.exec(lab.vms[vm]!, "ip -6 addr add fd77::\(n)/64 dev \(vm) nodad")
            try #require(out.ok, "IPv6 address of \(vm): \(out)")
        }
        #expect(lab.world.exec(lab.vms["vm1"]!, "ping -6 -c 1 -W 2 fd77::2").ok, "vm1 could not reach vm2 over IPv6")
        let vm2 = lab.mac("vm2")
        let published = Self.within(5) {
            lab.etcd.etcdctl("get --print-value-only /tapestry/t/macs/blue/1/\(vm2)").stdout.contains("fd77::2")
        }
        #expect(published != nil, "h2 did not publish vm2's IPv6 address: \(lab.etcd.etcdctl("get --prefix /tapestry/t/macs/"))")
        let config = lab.daemons[0].directory + "/state/config.json"
        let installed = Self.within(5) { ((try? String(contentsOfFile: config, encoding: .utf8)) ?? "").contains("fd77::2") }
        #expect(installed != nil, "h1 did not install vm2's IPv6 binding")
        let lines = lab.world.capture(lab.hosts[1], "eth0", filter: "udp port 4789") {
            _ = lab.world.exec(lab.vms["vm1"]!, "ip -6 neigh flush all; ping -6 -c 1 -W 1 fd77::99")
            #expect(lab.world.exec(lab.vms["vm1"]!, "ip -6 neigh flush all && ping -6 -c 3 -i 0.2 -W 1 fd77::2").ok,
                    "vm1 could not reach vm2 after flushing its neighbours")
        }
        let echoes = lines.filter { $0.contains("fd77::1 > fd77::2: ICMP6, echo request") }
        let unknown = lines.filter { $0.contains("who has fd77::99") }
        let suppressed = lines.filter { $0.contains("who has fd77::2,") }
        #expect(echoes.count >= 3, "the capture saw \(echoes.count) of vm1's pings: \(lines.prefix(8))")
        #expect(unknown.count >= 1, "the capture saw no solicitation for an unknown address: \(lines.prefix(8))")
        #expect(suppressed.isEmpty, "neighbour solicitations for a published address crossed the underlay: \(suppressed)")
        let neigh = lab.world.exec(lab.vms["vm1"]!, "ip -6 neigh show fd77::2").stdout
        #expect(neigh.contains(vm2), "\(neigh)")
    }
}
