import Datapath
import HostSystem
import TapestryModel

/// Bonds in the reconciler: the link monitor's reports reach each bond's members (carrier on or
/// off feeds the bond's controller, which applies the up/down delays), and `runBonds` — every tick
/// of the bonds thread and after each link report — moves LACPDUs in and out, advances the
/// controllers and installs a changed table into the datapath.
extension PortReconciler {
    /// The realized bonds by port name.
    var bonds: [(name: String, bridge: String, runtime: BondRuntime)] {
        ports.values.compactMap { rp in rp.bond.map { (rp.config.name, rp.bridge, $0) } }.sorted { $0.name < $1.name }
    }

    /// Feeds the members' links of every bond (the daemon's namespace) to their controllers.
    func applyBondMemberLinks(_ byName: [String: LinkInfo], readAt: UInt64) {
        for rp in ports.values {
            guard let bond = rp.bond, rp.realizedAt <= readAt else { continue }
            for (i, name) in bond.backend.memberNames.enumerated() {
                let seen = byName[name]
                let now = seen ?? LinkInfo(name: name, ifindex: bond.links[i].ifindex, isUp: false, mtu: bond.links[i].mtu,
                                           mac: bond.links[i].mac, alias: nil, carrier: false, operState: "absent")
                if now.isRunning != bond.links[i].isRunning { bond.memberChanges[i] += 1 }
                bond.links[i] = now
                bond.controller.setCarrier(i, up: now.isRunning)
            }
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
