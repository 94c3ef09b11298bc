import ControlProtocol
import Foundation
import TestSupport
import Testing

/// `tapestryd --metrics`, `tapestry events`, `--max-macs` and `tapestry graph`.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct ObservabilityMetricsTests {
    @Test func metricsEndpointCountersMoveWithTraffic() throws {
        let world = NetnsWorld("omet")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try MetricsDaemon(world: world, namespace: host)
        defer { d.stop() }
        #expect(d.cli("add-br", "br0").ok)
        for i in 1...2 {
            let vm = world.namespace("vm\(i)")
            #expect(d.cli("add-port", "br0", "vm\(i)", "--netns", vm).ok)
            #expect(world.exec(vm, "ip addr add 10.65.0.\(i)/24 dev vm\(i) && ip link set vm\(i) up").ok)
        }
        let url = "http://127.0.0.1:9420/metrics"
        let first = world.httpGet(host, url)
        #expect(first.status == 200, "\(first)\n\(d.log.suffix(1500))")
        #expect(first.body.contains("# TYPE tapestry_port_rx_packets_total counter"), "\(first.body)")
        #expect(first.body.contains("# TYPE tapestry_bridge_mac_entries gauge"), "\(first.body)")
        let s1 = MetricsDaemon.samples(first.body)
        let rxKey = "tapestry_port_rx_packets_total{bridge=\"br0\",port=\"vm1\"}"
        let txKey = "tapestry_port_tx_bytes_total{bridge=\"br0\",port=\"vm2\"}"
        #expect(s1[rxKey] != nil, "\(s1.keys.sorted())")
        #expect(s1["tapestry_port_drops_total{bridge=\"br0\",port=\"vm1\",reason=\"tagged-on-access\"}"] != nil)

        #expect(world.ping(from: world.prefix + "-vm1", "10.65.0.2", count: 5))
        let second = world.httpGet(host, url)
        let s2 = MetricsDaemon.samples(second.body)
        #expect((s2[rxKey] ?? 0) >= (s1[rxKey] ?? 0) + 5, "rx \(String(describing: s1[rxKey])) → \(String(describing: s2[rxKey]))")
        #expect((s2[txKey] ?? 0) > (s1[txKey] ?? 0))
        #expect((s2["tapestry_bridge_mac_entries{bridge=\"br0\"}"] ?? 0) >= 2)
        #expect(s2["tapestry_port_up{bridge=\"br0\",port=\"vm1\"}"] == 1)

        // Drops by reason: a tagged frame on an access port.
        #expect(d.cli("set-port", "br0", "vm1", "--vlan", "10").ok)
        let tagged = world.exec(world.prefix + "-vm1", "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
                                + "s.bind((\"vm1\", 0)); s.send(bytes.fromhex(\"ffffffffffff020000000001810000140800\") + bytes(46))'")
        #expect(tagged.ok, "\(tagged)")
        usleep(200_000)
        let s3 = MetricsDaemon.samples(world.httpGet(host, url).body)
        #expect(s3["tapestry_port_drops_total{bridge=\"br0\",port=\"vm1\",reason=\"tagged-on-access\"}"] == 1)

        // Bounded HTTP: other paths and methods get clear statuses; the endpoint keeps answering.
        #expect(world.httpGet(host, "http://127.0.0.1:9420/nope").status == 404)
        #expect(world.httpGet(host, url, method: "POST").status == 405)
        let garbage = world.exec(host, "python3 -c 'import socket; s=socket.create_connection((\"127.0.0.1\", 9420)); "
                                 + "s.sendall(b\"x\" * 9000); s.shutdown(socket.SHUT_WR); print(s.recv(100).decode())'")
        #expect(garbage.stdout.hasPrefix("HTTP/1.1 431") || garbage.stdout.hasPrefix("HTTP/1.1 400"), "\(garbage)")
        #expect(world.httpGet(host, url).status == 200)

        // Bound to loopback as asked.
        #expect(d.log.contains("serving metrics on http://127.0.0.1:9420/metrics"), "\(d.log)")
    }

    @Test func badMetricsEndpointIsRefused() throws {
        let world = NetnsWorld("ometbad")
        defer { world.close() }
        let host = world.namespace("host")
        let out = world.exec(host, "\(NetnsWorld.binDirectory)/tapestryd --metrics nonsense --run-dir /nonexistent-obs --state-dir /nonexistent-obs")
        #expect(out.status != 0)
        #expect(out.stderr.contains("invalid --metrics 'nonsense'"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent-obs"))
    }

    @Test func eventsMaxMACsAndGraph() throws {
        let world = NetnsWorld("oevt")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.66.0.1/24", ["--max-macs", "3"])
        _ = try world.tapVM(d, "br0", "vm2", address: "10.66.0.2/24")
        #expect(try d.configView().bridges[0].ports.first { $0.name == "vm1" }?.maxMACs == 3)

        // events --follow prints new events as they happen, one JSON object per line.
        let follow = world.backgroundCLI(d, ["--format", "json", "events", "--follow"], name: "follow")
        usleep(500_000)
        #expect(world.ping(from: vm1, "10.66.0.2", count: 2))
        #expect(d.cli("add-br", "br1").ok)
        var lines: [EventRecord] = []
        for _ in 0..<40 {
            let text = (try? String(contentsOfFile: follow.stdout, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").compactMap { try? JSONDecoder().decode(EventRecord.self, from: Data($0.utf8)) }
            if lines.contains(where: { $0.kind == "config-changed" }) && lines.contains(where: { $0.kind == "mac-learned" }) { break }
            usleep(100_000)
        }
        kill(follow.pid, SIGTERM)
        #expect(lines.contains { $0.kind == "port-added" && $0.port == "vm2" }, "\(lines)")
        #expect(lines.contains { $0.kind == "mac-learned" && $0.bridge == "br0" && $0.port == "vm1" }, "\(lines)")
        #expect(lines.contains { $0.kind == "config-changed" }, "\(lines)")
        let sequences = lines.map(\.sequence)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(sequences)")
        let text = d.cli("events")
        #expect(text.ok && text.stdout.contains("port-added") && text.stdout.contains("br0/vm1"), "\(text)")

        // --max-macs 2: frames from 5 source MACs leave at most 2 entries on the port.
        #expect(d.cli("set-port", "br0", "vm1", "--max-macs", "2").ok)
        #expect(world.sendFromMACs(vm1, "vm1", count: 5).ok)
        usleep(200_000)
        let limited = try d.json(FDBShowResult.self, "fdb-show", "br0").entries.filter { $0.port == "vm1" }
        #expect(limited.count <= 2 && !limited.isEmpty, "\(limited)")
        #expect(try d.configView().bridges[0].ports.first { $0.name == "vm1" }?.maxMACs == 2)
        // --max-macs 0 removes the limit.
        #expect(d.cli("set-port", "br0", "vm1", "--max-macs", "0").ok)
        #expect(try d.configView().bridges[0].ports.first { $0.name == "vm1" }?.maxMACs == nil)
        #expect(world.sendFromMACs(vm1, "vm1", count: 5, tag: 0x20).ok)
        usleep(200_000)
        let unlimited = try d.json(FDBShowResult.self, "fdb-show", "br0").entries.filter { $0.port == "vm1" }
        #expect(unlimited.count >= 5, "\(unlimited)")
        let negative = d.cli("set-port", "br0", "vm1", "--max-macs", "-1")
        #expect(negative.status == 1 && negative.stderr.contains("--max-macs"), "\(negative)")

        // graph: the live topology as dot, with ports, VLANs, tunnels and their remotes.
        #expect(d.cli("set-port", "br0", "vm2", "--vlan", "10").ok)
        #expect(d.cli("add-port", "br0", "vx0", "--type", "vxlan", "--vni", "77", "--remote", "10.66.99.2").ok)
        let graph = d.cli("graph")
        #expect(graph.ok, "\(graph)")
        for needle in ["graph tapestry {", "\"br:br0\"", "\"port:br0/vm2\"", "access 10", "\"vtep:10.66.99.2\"",
                       "VXLAN VNI 77", "\"br:br0\" -- \"port:br0/vm1\"", "bridge br1"] {
            #expect(graph.stdout.contains(needle), "missing \(needle) in:\n\(graph.stdout)")
        }
        let svg = d.cli("graph", "--format", "svg")
        #expect(svg.ok, "\(svg)")
        if Shell.run("command -v dot").ok {
            #expect(svg.stdout.contains("<svg"), "\(svg)")
        } else {
            #expect(svg.stdout.hasPrefix("graph tapestry {") && svg.stderr.contains("Graphviz 'dot' is not installed"), "\(svg)")
        }
        let png = d.cli("graph", "--format", "png")
        #expect(png.status == 1 && png.stderr.contains("invalid format 'png'"), "\(png)")
    }
}
