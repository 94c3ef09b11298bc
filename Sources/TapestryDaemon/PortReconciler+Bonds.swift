import Datapath
import HostSystem
import TapestryModel

/// Bonds in the reconciler: the link monitor's reports reach each bond's members (carrier on or
/// off feeds the bond's controller, which applies the up/down delays), and `runBonds` — every tick
/// of the bonds thread and after each link report — reads each enabled member's carrier itself (a
/// carrier lost is not left to a notification the kernel may send a second late), moves LACPDUs in
/// and out, advances the controllers and installs a changed table into the datapath.
extension PortReconciler {
    /// The realized bonds by port name.
    var bonds: [(name: String, bridge: String, runtime: BondRuntime)] {
        ports.values.compactMap { rp in rp.bond.map { (rp.config.name, rp.bridge, $0) } }.sorted { $0.name < $1.name }
    }

    /// Feeds the members' links of every bond (the daemon's namespace) to their controllers. Returns the
    /// bonds a member of which is a new netdev (deleted and made again under its name: a new ifindex), whose
    /// sockets are bound to the old one: they are attached again (`reattachBond`).
    func applyBondMemberLinks(_ byName: [String: LinkInfo], readAt: UInt64) -> [String] {
        var renewed: [String] = []
        for rp in ports.values {
            guard let bond = rp.bond, rp.realizedAt <= readAt else { continue }
            if bond.backend.memberNames.indices.contains(where: { i in
                byName[bond.backend.memberNames[i]].map { $0.ifindex != bond.links[i].ifindex } ?? false
            }) {
                renewed.append(rp.config.name)
                continue
            }
            for (i, name) in bond.backend.memberNames.enumerated() {
                let seen = byName[name]
                let now = seen ?? LinkInfo(name: name, ifindex: bond.links[i].ifindex, isUp: false, mtu: bond.links[i].mtu,
                                           mac: bond.links[i].mac, alias: nil, carrier: false, operState: "absent")
                if now.isRunning != bond.links[i].isRunning { bond.memberChanges[i] += 1 }
                bond.links[i] = now
                bond.controller.setCarrier(i, up: now.isRunning)
            }
        }
        return renewed.sorted()
    }

    /// Attaches bond `name` again (every member's sockets anew) after a member's netdev was made again;
    /// the bond keeps its port id, so learned MACs and counters stay. The new sockets are made before the
    /// old ones are closed (after the datapath has let go of them), so no fd number is reused across the
    /// swap. Returns the event; on failure the bond is detached, the error kept in `failures`, and a later
    /// link report with all members present (or `set-bond`) brings it back.
    func reattachBond(_ name: String, state: DesiredState) -> LinkChange? {
        guard let bridge = state.bridge(holdingPort: name), let p = bridge.port(named: name) else { return nil }
        let old = ports[name]
        linkChanges[name, default: 0] += 1
        do {
            let again = try realize(p, bridge: bridge.name, id: old?.id ?? freeID(), isNew: false)
            ports[name] = again
            failures[name] = nil
            publish(state)
            for fd in old?.fds ?? [] { Syscall.close(fd) }
            let members = again.bond?.links.map { "\($0.name) ifindex \($0.ifindex)" }.joined(separator: ", ") ?? ""
            log.info("\(name): a member's network device was made again; bond re-attached (\(members))")
            return LinkChange(bridge: bridge.name, port: name, kind: "port-reattached",
                              detail: "a member of bond \(name) is a new network device; re-attached (\(members))")
        } catch {
            failures[name] = "\(error)"
            if let old {
                ports[name] = nil
                publish(state)
                for fd in old.fds { Syscall.close(fd) }
            }
            log.warning("\(name): could not re-attach the bond: \(error)")
            return LinkChange(bridge: bridge.name, port: name, up: false, detail: "could not re-attach bond \(name): \(error)")
        }
    }

    /// One round of every bond: LACPDUs received and due, timers, a changed table installed.
    /// Returns the events (bridge, bond, kind, detail).
    func runBonds(now: Int64) -> [(bridge: String, port: String, kind: String, detail: String)] {
        var events: [(bridge: String, port: String, kind: String, detail: String)] = []
        var install: [(BondBackend, BondTable)] = []
        var republish = false
        for (name, bridge, bond) in bonds {
            let c = bond.controller
            let wasUp = c.enabled.contains(true)
            for (member, frame) in bond.backend.slowFrames.drain() {
                guard let i = c.index(of: member) else { continue }
                frame.withUnsafeBytes { c.receive(i, frame: $0) }
            }
            // A member whose carrier went off leaves at this tick, also when the kernel holds the link
            // monitor's notification back (up to a second on a busy host); the report follows later.
            for i in c.names.indices where c.carrier[i] {
                guard let fd = bond.backend.members[i].fds.first,
                      LinkCarrier.isRunning(socket: fd, ifindex: bond.links[i].ifindex) == false else { continue }
                c.setCarrier(i, up: false)
            }
            c.advance(to: now)
            for (m, frame) in c.takeFrames() where !bond.backend.sendSlow(member: m, frame: frame) {
                log.debug("\(name): could not send a LACPDU on \(bond.backend.memberNames[m])")
            }
            for e in c.takeEvents() { events.append((bridge, name, e.kind, e.detail)) }
            if c.takeChanged() { install.append((bond.backend, bond.table)) }
            if wasUp != c.enabled.contains(true) { republish = true }
        }
        if !install.isEmpty {
            datapath.perform { _ in for (backend, table) in install { backend.install(table) } }
        }
        // A bond with no member enabled is published as discarding (nothing is flooded to it), and back.
        if republish { publish(current) }
        return events
    }
}
