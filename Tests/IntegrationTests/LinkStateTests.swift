import ControlProtocol
import Foundation
import TestSupport
import Testing

/// Live link state: the daemon's netlink link monitor follows a VM namespace's interface going
/// down and up, a veth losing carrier, and a system port's netdev being deleted and recreated.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable, "needs root and ip netns"))
struct LinkStateTests {
    @Test func vmInterfaceDownAndUpIsFollowedByShowEventsAndFlooding() throws {
        let world = NetnsWorld("lnk")
        defer { world.close() }
        let host = world.namespace("host")
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.57.0.1/24")
        let vm2 = try world.tapVM(d, "br0", "vm2", address: "10.57.0.2/24")
        #expect(world.ping(from: vm2, "10.57.0.1"), "VMs cannot talk before the link change")
        #expect(try d.portStatus("br0", "vm1")?.state == "up")

        let learnedOnVM1 = try d.json(FDBShowResult.self, "fdb-show", "br0").entries.filter { $0.port == "vm1" }
        // Down inside the VM's namespace: the event is recorded within 100 ms of the change.
        let cursor = try d.eventCursor()
        let before = Date().timeIntervalSince1970
        #expect(world.exec(vm1, "ip link set vm1 down").ok)
        let down = try d.waitEvent("port-down", port: "vm1", since: cursor)
        #expect(down != nil, "no port-down event; log:\n\(d.log.suffix(2000))")
        if let down {
            #expect(down.time - before < 0.1, "port-down recorded \(Int((down.time - before) * 1000)) ms after the change")
            #expect(down.detail.contains("admin down"), "\(down.detail)")
        }
        let status = try d.portStatus("br0", "vm1")
        #expect(status?.state == "down" && status?.operState == "down", "\(String(describing: status))")
        // What was learned behind the port is forgotten with its link (known before the change).
        #expect(!learnedOnVM1.isEmpty, "vm1's MAC was not learned before its link went down")
        let fdbAfter = try d.json(FDBShowResult.self, "fdb-show", "br0").entries
        #expect(!fdbAfter.contains { $0.port == "vm1" }, "entries still on the down port: \(fdbAfter)")

        // The datapath no longer floods to it: broadcasts from vm2 reach nobody and no write fails on vm1.
        let tx1 = try d.counters("br0", "vm1"), rx2 = try d.counters("br0", "vm2")
        _ = world.exec(vm2, "ping -b -c 5 -i 0.2 -W 1 10.57.0.255")
        let tx1After = try d.counters("br0", "vm1"), rx2After = try d.counters("br0", "vm2")
        #expect(rx2After.rxPackets >= rx2.rxPackets + 5, "vm2's broadcasts did not reach the switch")
        #expect(tx1After.txPackets == tx1.txPackets, "frames were still sent to the down port")
        #expect(tx1After.drops["tx-error", default: 0] == tx1.drops["tx-error", default: 0], "writes to the down port were tried")

        // Up again: event, show, and traffic.
        #expect(world.exec(vm1, "ip link set vm1 up").ok)
        #expect(try d.waitEvent("port-up", port: "vm1", since: cursor) != nil, "no port-up event")
        #expect(try d.portStatus("br0", "vm1")?.state == "up")
        #expect(world.ping(from: vm2, "10.57.0.1"), "VMs cannot talk after the link came back")
    }

    @Test func vethPeerDownIsNoCarrierAndADeletedSystemPortComesBack() throws {
        let world = NetnsWorld("lnks")
        defer { world.close() }
        let host = world.namespace("host")
        let peer = world.namespace("peer")
        world.veth("sys0", in: host, "eth0", in: peer)
        #expect(world.exec(peer, "ip addr add 10.58.0.9/24 dev eth0").ok)
        let d = try world.startDaemon(in: host)
        #expect(d.cli("add-br", "br0").ok)
        #expect(d.cli("add-port", "br0", "sys0", "--type", "system").ok)
        let vm1 = try world.tapVM(d, "br0", "vm1", address: "10.58.0.1/24")
        #expect(world.ping(from: peer, "10.58.0.1"), "peer cannot reach the VM through the system port")
        let cursor = try d.eventCursor()

        // The far end of the veth goes down: sys0 loses carrier.
        #expect(world.exec(peer, "ip link set eth0 down").ok)
        let noCarrier = try d.waitEvent("port-down", port: "sys0", since: cursor)
        #expect(noCarrier?.detail.contains("carrier off") == true, "\(String(describing: noCarrier))")
        #expect(try d.portStatus("br0", "sys0")?.carrier == false)
        #expect(world.exec(peer, "ip link set eth0 up").ok)
        #expect(try d.waitEvent("port-up", port: "sys0", since: cursor) != nil, "sys0 did not come back up")
        #expect(world.ping(from: peer, "10.58.0.1"))

        // The netdev is deleted (a VM that goes away) and made again (the VM restarted): re-attached by itself.
        let cursor2 = try d.eventCursor()
        #expect(world.exec(host, "ip link del sys0").ok)
        let gone = try d.waitEvent("port-down", port: "sys0", since: cursor2)
        #expect(gone?.detail.contains("disappeared") == true, "\(String(describing: gone))")
        #expect(try d.portStatus("br0", "sys0")?.state == "down")
        #expect(!world.ping(from: vm1, "10.58.0.9", count: 1, wait: 0.5))
        world.veth("sys0", in: host, "eth0", in: peer)
        #expect(world.exec(peer, "ip addr add 10.58.0.9/24 dev eth0").ok)
        let back = try d.waitEvent("port-reattached", port: "sys0", since: cursor2)
        #expect(back != nil, "no port-reattached event; log:\n\(d.log.suffix(2000))")
        #expect(try d.waitPortState("br0", "sys0", "up"), "sys0 not up after re-attaching")
        #expect(world.ping(from: peer, "10.58.0.1"), "no traffic through the re-attached system port")
        #expect(world.ping(from: vm1, "10.58.0.9"))
        #expect(d.isAlive)
    }
}

extension NetnsWorld.Daemon {
    func portStatus(_ bridge: String, _ port: String) throws -> PortStatus? {
        try json(ShowResult.self, "show", bridge).bridges.first?.ports.first { $0.config.name == port }
    }

    /// Waits up to `timeout` seconds for `show` to give `port` the state `state`.
    func waitPortState(_ bridge: String, _ port: String, _ state: String, timeout: Double = 3) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try portStatus(bridge, port)?.state == state { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    /// The events the daemon keeps (`events --format json`: one object per line).
    func eventRecords() throws -> [EventRecord] {
        let out = cli("--format", "json", "events")
        guard out.ok else { throw TestWorldError("tapestry events failed: \(out)") }
        return try out.stdout.split(separator: "\n").map { try JSONDecoder().decode(EventRecord.self, from: Data($0.utf8)) }
    }

    /// The sequence number the next event will get.
    func eventCursor() throws -> UInt64 { (try eventRecords().map(\.sequence).max() ?? 0) + 1 }

    /// Waits up to `timeout` seconds for an event of `kind` on `port` with a sequence of at least `since`.
    func waitEvent(_ kind: String, port: String, since: UInt64, timeout: Double = 3) throws -> EventRecord? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let hit = try eventRecords().first(where: { $0.sequence >= since && $0.kind == kind && $0.port == port }) { return hit }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }
}
