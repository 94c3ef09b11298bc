import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Rate limits and impairments through a real daemon: TCP through a shaped or policed port
/// measures the configured rate; a delay shows in ping times once per round trip; loss matches
/// its share; ports without policy beside them are unaffected.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct PortRateImpairmentTests {
    /// iperf3 TCP from `client` to `server` (address `to`) for `seconds`; the receiver's Mbit/s.
    func tcpMbps(_ world: NetnsWorld, from client: String, to server: String, address: String, seconds: Int = 4) -> Double? {
        let port = 5201 + Int.random(in: 0..<500)
        let pid = world.spawn(server, "exec timeout 30 iperf3 -s -1 -p \(port) -B \(address)")
        defer { if pid > 0 { kill(pid, SIGTERM) } }
        usleep(400_000)
        let r = world.exec(client, "iperf3 -c \(address) -p \(port) -t \(seconds) -O 1 -J", timeout: Double(seconds) + 20)
        guard r.ok, let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let end = json["end"] as? [String: Any], let recv = end["sum_received"] as? [String: Any],
              let bps = recv["bits_per_second"] as? Double else { return nil }
        return bps / 1e6
    }

    func pingTimes(_ world: NetnsWorld, from ns: String, to address: String, count: Int, interval: String) -> (sent: Int, received: Int, times: [Double]) {
        let r = world.exec(ns, "ping -n -c \(count) -i \(interval) -W 1 \(address)", timeout: Double(count) * 0.05 + 30)
        let times = r.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "time=") else { return nil }
            return Double(line[range.upperBound...].split(separator: " ")[0])
        }
        return (count, times.count, times.sorted())
    }

    @Test func shapedAndPolicedTCPMeasuresTheConfiguredRate() throws {
        let world = NetnsWorld("prate")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.65.0.1/24")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.65.0.2/24")
        let vm3 = try world.tapVM(d, "br0", "vm3", address: "10.65.0.3/24")
        for (rate, mbit) in [("50mbit", 50.0), ("200mbit", 200.0)] {
            // Shaping what vm1 receives.
            #expect(d.cli("set-port", "br0", "vm1", "--egress-rate", rate, "--no-ingress-rate").ok)
            let shaped = tcpMbps(world, from: vm2, to: vm1, address: "10.65.0.1")
            #expect(shaped.map { abs($0 - mbit) <= mbit * 0.1 } == true, "shaped to \(rate): \(shaped ?? -1) Mbit/s")
            // Policing what vm1 sends.
            #expect(d.cli("set-port", "br0", "vm1", "--no-egress-rate", "--ingress-rate", rate).ok)
            let policed = tcpMbps(world, from: vm1, to: vm2, address: "10.65.0.2")
            #expect(policed.map { abs($0 - mbit) <= mbit * 0.1 } == true, "policed to \(rate): \(policed ?? -1) Mbit/s")
        }
        // A port without policy beside it is not limited.
        let free = tcpMbps(world, from: vm3, to: vm2, address: "10.65.0.2", seconds: 2)
        #expect((free ?? 0) > 1000, "vm3 → vm2 without policy: \(free ?? -1) Mbit/s")
        // UDP above the limit: the policer's drops are counted.
        let before = try d.counters("br0", "vm1").drops["policed"] ?? 0
        let pid = world.spawn(vm2, "exec timeout 20 iperf3 -s -1 -p 5999 -B 10.65.0.2")
        usleep(300_000)
        _ = world.exec(vm1, "iperf3 -c 10.65.0.2 -p 5999 -u -b 400M -t 2", timeout: 20)
        if pid > 0 { kill(pid, SIGTERM) }
        let after = try d.counters("br0", "vm1").drops["policed"] ?? 0
        #expect(after - before > 1000, "policed drops \(before) → \(after)")
    }

    @Test func delayLossAndDuplicationAsConfigured() throws {
        let world = NetnsWorld("pimp")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.66.0.1/24")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.66.0.2/24")
        // Warm up ARP so the first ping is not an outlier.
        #expect(world.ping(from: vm2, "10.66.0.1"))
        #expect(d.cli("set-port", "br0", "vm1", "--delay", "20ms").ok)
        let delayed = pingTimes(world, from: vm2, to: "10.66.0.1", count: 40, interval: "0.05")
        #expect(delayed.received == 40)
        let p50 = delayed.times.isEmpty ? 0 : delayed.times[delayed.times.count / 2]
        #expect(p50 >= 20 && p50 <= 22, "p50 with a 20 ms delay: \(p50) ms (\(delayed.times.prefix(5)) …)")
        // The delay is once per round trip: vm1's pings to vm2 go through vm1's port only on the way back.
        let reverse = pingTimes(world, from: vm1, to: "10.66.0.2", count: 10, interval: "0.05")
        let rp50 = reverse.times.isEmpty ? 0 : reverse.times[reverse.times.count / 2]
        #expect(rp50 >= 20 && rp50 <= 22, "reverse p50: \(rp50) ms")

        // 10 % loss over 2,000 pings (the answers cross vm1's port once).
        #expect(d.cli("set-port", "br0", "vm1", "--no-delay", "--loss", "10%", "--seed", "7").ok)
        let lossy = pingTimes(world, from: vm2, to: "10.66.0.1", count: 2000, interval: "0.002")
        let lossRate = Double(lossy.sent - lossy.received) / Double(lossy.sent)
        #expect(lossRate >= 0.07 && lossRate <= 0.13, "loss measured \(lossRate)")
        let lost = try d.counters("br0", "vm1").drops["impairment-loss"] ?? 0
        #expect(lost >= 140, "impairment-loss counted: \(lost)")
        let shown = d.cli("show", "br0").stdout
        #expect(shown.contains("loss 10%"), "show: \(shown)")

        // Duplication: ping reports duplicates.
        #expect(d.cli("set-port", "br0", "vm1", "--no-loss", "--duplicate", "50%").ok)
        let dup = world.exec(vm2, "ping -n -c 40 -i 0.02 -W 1 10.66.0.1", timeout: 30)
        #expect(dup.stdout.contains("DUP!"), "no duplicates seen: \(dup.stdout.suffix(300))")

        // A rate-limited link (an impairment's serialization rate): TCP through it measures the rate.
        #expect(d.cli("set-port", "br0", "vm1", "--no-duplicate", "--rate", "20mbit").ok)
        let limited = tcpMbps(world, from: vm2, to: vm1, address: "10.66.0.1")
        #expect(limited.map { abs($0 - 20) <= 2 } == true, "through a 20mbit impairment rate: \(limited ?? -1) Mbit/s")

        // Clearing every impairment restores plain forwarding.
        #expect(d.cli("set-port", "br0", "vm1", "--no-impairment").ok)
        let plain = pingTimes(world, from: vm2, to: "10.66.0.1", count: 10, interval: "0.05")
        // The median, not the slowest: one late reply on a loaded machine says nothing about a 20 ms delay.
        let plainP50 = plain.times.isEmpty ? 99 : plain.times[plain.times.count / 2]
        #expect(plain.received == 10 && plainP50 < 10, "after --no-impairment: \(plain.times)")
    }
}

/// libvirt's `<bandwidth>` on a network reaches the ports added to it with `--network`.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct NetworkBandwidthTests {
    @Test func aNetworksBandwidthShapesItsPorts() throws {
        let lab = try NetworkLab("pbw")
        defer { lab.close() }
        // inbound 6400 KiB/s = 52.4 Mbit/s toward each guest.
        let xml = networkXML("bw", bridge: "bw0", forward: nil, subnet: "192.168.167",
                             extra: "  <bandwidth><inbound average='6400' burst='256'/></bandwidth>\n")
        #expect(lab.define(xml).ok)
        #expect(lab.daemon.cli("net-start", "bw").ok)
        let vm1 = try lab.vm("vm1", on: "bw")
        let vm2 = try lab.vm("vm2", on: "bw")
        #expect(lab.world.exec(vm1, "ip addr add 192.168.167.11/24 dev vm1 && ip link set vm1 up").ok)
        #expect(lab.world.exec(vm2, "ip addr add 192.168.167.12/24 dev vm2 && ip link set vm2 up").ok)
        let shown = lab.daemon.cli("show", "bw0").stdout
        #expect(shown.contains("Policy vm1: egress 52428800bit burst 256k") || shown.contains("egress 52428800bit"), "show: \(shown)")
        let mbps = PortRateImpairmentTests().tcpMbps(lab.world, from: vm2, to: vm1, address: "192.168.167.11")
        #expect(mbps.map { abs($0 - 52.4) <= 5.3 } == true, "through a 6400 KiB/s inbound limit: \(mbps ?? -1) Mbit/s")
    }
}
