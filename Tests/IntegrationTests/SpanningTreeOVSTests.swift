import ControlProtocol
import Foundation
import TestSupport
import Testing

/// RSTP between Tapestry and Open vSwitch userspace: two Tapestry daemons and an Open vSwitch bridge
/// (`datapath_type=netdev`, `rstp_enable=true`) in a loop of veths, a VM on each Tapestry bridge and
/// a server behind Open vSwitch. The three form one tree (exactly one port of the loop discarding),
/// a broadcast sent once reaches each end once over 5 s, and cutting a forwarding link heals.
///
/// The veth ends that face Open vSwitch have transmit offloads off, as its own tests set them for
/// the userspace datapath (see BondLACPTests).
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && OVSUserspace.isAvailable,
                             "needs root, ip netns and Open vSwitch userspace (openvswitch-switch)"))
struct SpanningTreeOVSTests {
    /// One port of the loop: where it is, its role and state.
    struct LoopPort: CustomStringConvertible {
        let name: String
        let role: String
        let state: String
        var description: String { "\(name) \(role) \(state)" }
    }

    @Test func loopOfTapestryAndOpenVSwitchFormsOneTreeStormFreeAndHeals() throws {
        let world = NetnsWorld("ostp")
        defer { world.close() }
        let h1 = world.namespace("h1"), h2 = world.namespace("h2"), sw = world.namespace("ovs"), srv = world.namespace("srv")
        world.veth("a12", in: h1, "a21", in: h2)
        world.veth("k1", in: h1, "o1", in: sw)
        world.veth("k2", in: h2, "o2", in: sw)
        world.veth("os", in: sw, "osrv", in: srv)
        for (ns, dev) in [(h1, "k1"), (h2, "k2"), (srv, "osrv")] {
            let r = world.exec(ns, "ethtool -K \(dev) tx off")
            #expect(r.ok, "ethtool -K \(dev) tx off: \(r)")
        }
        #expect(world.exec(srv, "ip addr add 10.64.0.9/24 dev osrv").ok)
        let ovs = try OVSUserspace(world: world, namespace: sw)
        defer { ovs.stop() }
        let br = ovs.vsctl("add-br obr -- set bridge obr datapath_type=netdev rstp_enable=true other_config:rstp-priority=12288 "
                           + "-- add-port obr os -- set port os other_config:rstp-port-admin-edge=true")  // the server's port is an edge port
        #expect(br.ok, "\(br)")

        var daemons: [NetnsWorld.Daemon] = []
        var vms: [String] = []
        for (i, h) in [h1, h2].enumerated() {
            let d = try world.startDaemon(in: h, name: "d\(i + 1)")
            daemons.append(d)
            #expect(d.cli("add-br", "br0").ok)
            let stp = d.cli("set-br", "br0", "--stp", "rstp", "--stp-priority", String(4096 * (i + 1)))
            #expect(stp.ok, "\(stp)")
            vms.append(try world.tapVM(d, "br0", "vm\(i + 1)", address: "10.64.0.\(i + 1)/24"))
        }
        let start = Date()
        for (d, ports) in [(daemons[0], ["a12", "k1"]), (daemons[1], ["a21", "k2"])] {
            for p in ports {
                let add = d.cli("add-port", "br0", p, "--type", "system")
                #expect(add.ok, "\(add)")
            }
        }
        let links = ovs.vsctl("add-port obr o1 -- add-port obr o2")
        #expect(links.ok, "\(links)")

        // One tree: of the six ports of the loop exactly one discards, none is still learning.
        var picture: [LoopPort] = []
        var converged = false
        repeat {
            usleep(100_000)
            picture = try loopPorts(daemons, ovs)
            let blocked = picture.filter { $0.state != "forwarding" }
            converged = picture.count == 6 && blocked.count == 1 && blocked[0].state == "discarding"
        } while !converged && Date().timeIntervalSince(start) < 10
        let took = Date().timeIntervalSince(start)
        print("RSTP with Open vSwitch: one tree after \(String(format: "%.2f", took)) s: \(picture.filter { $0.state != "forwarding" })")
        #expect(converged && took < 6, "after \(took) s: \(picture)\n\(ovs.appctl("rstp/show").stdout)")
        // Open vSwitch's own port to the server is an edge port, yet its RSTP (timers ticked once a second)
        // takes it to forwarding only a second or two later: the pings wait for that.
        var serverPort = ""
        let edgeBy = Date().addingTimeInterval(10)
        repeat {
            serverPort = ovs.appctl("rstp/show obr").stdout.split(separator: "\n").first { $0.hasPrefix("  os ") }.map(String.init) ?? ""
            if serverPort.contains("Forwarding") { break }
            usleep(100_000)
        } while Date() < edgeBy
        #expect(serverPort.contains("Forwarding"), "Open vSwitch's server port: \(serverPort)")
        let ovsView = ovs.appctl("rstp/show obr").stdout
        #expect(ovsView.contains("stp-priority    4096"), "Open vSwitch does not see h1 as root: \(ovsView)")
        #expect(try daemons[0].json(STPShowResult.self, "stp-show", "br0").isRoot)

        #expect(world.ping(from: vms[0], "10.64.0.9"), "vm1 cannot reach the server behind Open vSwitch")
        #expect(world.ping(from: vms[1], "10.64.0.9"), "vm2 cannot reach the server behind Open vSwitch")
        #expect(world.ping(from: vms[0], "10.64.0.2"), "vm1 cannot reach vm2")

        // One broadcast from vm1 reaches vm2 and the server exactly once over 5 s (no storm, no duplicate).
        let send = "python3 -c 'import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((\"vm1\", 0)); "
            + "s.send(bytes.fromhex(\"ffffffffffff\") + bytes.fromhex(\"020000000097\") + b\"\\x88\\xb5\" + b\"tapestry-once\" + bytes(40))'"
        let boxes = [LockedLines(), LockedLines()]
        let group = DispatchGroup()
        for (k, (ns, dev)) in [(vms[1], "vm2"), (srv, "osrv")].enumerated() {
            group.enter()
            let box = boxes[k]
            Thread {
                box.set(world.capture(ns, dev, filter: "ether proto 0x88b5") { usleep(5_600_000) })
                group.leave()
            }.start()
        }
        usleep(900_000)
        #expect(world.exec(vms[0], send).ok)
        group.wait()
        let seen = boxes.map { $0.get().filter { $0.contains("02:00:00:00:00:97 > ff:ff:ff:ff:ff:ff") } }
        #expect(seen[0].count == 1, "vm2 saw the broadcast \(seen[0].count) times")
        #expect(seen[1].count == 1, "the server saw the broadcast \(seen[1].count) times")

        // Cut the forwarding link h1–Open vSwitch: the server reaches vm1 again (over h2).
        let onPath = picture.first { $0.name == "h1:k1" }
        #expect(onPath?.state == "forwarding", "h1–ovs is not on the tree: \(picture)")
        #expect(world.ping(from: srv, "10.64.0.1", count: 1))
        let cut = Date()
        #expect(world.exec(h1, "ip link set k1 down").ok)
        var back = false
        while Date().timeIntervalSince(cut) < 10 {
            if world.exec(srv, "ping -c 1 -W 0.2 10.64.0.1").ok { back = true; break }
        }
        let healed = Date().timeIntervalSince(cut)
        print("RSTP with Open vSwitch: traffic back \(String(format: "%.2f", healed)) s after the cut")
        let after = try loopPorts(daemons, ovs)
        #expect(back && healed < 3, "traffic back after \(healed) s: \(after)\n\(ovs.appctl("rstp/show").stdout)")
        let o2 = after.first { $0.name == "ovs:o2" }
        #expect(o2?.role == "root" && o2?.state == "forwarding", "\(after)")
        #expect(daemons.allSatisfy { $0.isAlive })
    }

    /// The six ports of the loop (h1's a12 and k1, h2's a21 and k2, Open vSwitch's o1 and o2) as each bridge reports them.
    func loopPorts(_ daemons: [NetnsWorld.Daemon], _ ovs: OVSUserspace) throws -> [LoopPort] {
        var out: [LoopPort] = []
        for (i, d) in daemons.enumerated() {
            for p in try d.json(STPShowResult.self, "stp-show", "br0").ports where p.name.hasPrefix("a") || p.name.hasPrefix("k") {
                out.append(LoopPort(name: "h\(i + 1):\(p.name)", role: p.role, state: p.state))
            }
        }
        // `ovs-appctl rstp/show`: "  o2         Designated Forwarding 2000     128.2".
        for line in ovs.appctl("rstp/show obr").stdout.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 3, f[0] == "o1" || f[0] == "o2" else { continue }
            out.append(LoopPort(name: "ovs:\(f[0])", role: f[1].lowercased(), state: f[2].lowercased()))
        }
        return out
    }
}
