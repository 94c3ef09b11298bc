import Datapath
import HostSystem
import SwitchCore
import TapestryModel

/// A port's link going up or down, or its netdev going away and coming back, as the link monitor saw it.
struct LinkChange: Sendable {
    let bridge: String
    let port: String
    /// `port-up`, `port-down`, or `port-reattached` (its netdev came back and was attached again).
    let kind: String
    let detail: String

    init(bridge: String, port: String, up: Bool, detail: String) {
        self.bridge = bridge; self.port = port; kind = up ? "port-up" : "port-down"; self.detail = detail
    }

    init(bridge: String, port: String, kind: String, detail: String) {
        self.bridge = bridge; self.port = port; self.kind = kind; self.detail = detail
    }
}

/// Live link state: the link monitor's reports applied to the realized ports. A port whose link
/// is down (admin down or no carrier) is published as discarding, so nothing is flooded or sent to
/// it; a system port whose netdev disappears is detached and attached again when a netdev of that
/// name comes back (a VM restart that recreates its tap).
extension PortReconciler {
    /// Where each port's netdev lives, for the link monitor (nil: the daemon's own namespace).
    static func linkNamespaces(of state: DesiredState) -> Set<String?> {
        var result = Set<String?>()
        for b in state.bridges {
            for p in b.ports where p.type.hasNetdev { result.insert(linkNamespace(of: p)) }
            if b.ports.contains(where: { $0.type == .bond }) { result.insert(nil) }  // members live in the daemon's namespace
        }
        return result
    }

    static func linkNamespace(of p: PortConfig) -> String? { p.type == .system ? nil : p.netns }

    /// The forwarding state the links give `ports` (only those not forwarding are listed).
    func forwardingStates(of ports: [RealizedPort]) -> [String: PortForwardingState] {
        var states: [String: PortForwardingState] = [:]
        for rp in ports where rp.config.type.hasNetdev && !rp.link.isRunning { states[rp.config.name] = .discarding }
        for rp in ports where rp.bond.map({ !$0.controller.enabled.contains(true) }) ?? false { states[rp.config.name] = .discarding }
        return states
    }

    /// Brings the spanning tree instances in step with `state` and the ports' links. A system port whose
    /// netdev reports half duplex is a shared medium (`--stp-p2p auto`); taps, internal, patch, vxlan and
    /// vhost-user ports are point-to-point links, and so are bonds (802.1AX links are full duplex).
    func syncSpanningTree(_ state: DesiredState) {
        spanningTree.sync(state, linkUp: { [ports] name in
            guard let rp = ports[name] else { return false }
            return !rp.config.type.hasNetdev || rp.link.isRunning
        }, sharedMedium: { [ports] name in
            guard let rp = ports[name], rp.config.type == .system else { return false }
            return LinkDuplex.of(name) == .half
        }, now: Int64(LinkMonitor.now() / 1000))
    }

    /// Applies one report of the links in `netns`, read at `readAt`; re-publishes the datapath
    /// when a port's state changed and returns the changes (for events).
    func applyLinkReport(netns: String?, links: [LinkInfo], readAt: UInt64) -> [LinkChange] {
        let state = current
        var byName: [String: LinkInfo] = [:]
        for l in links where byName[l.name] == nil { byName[l.name] = l }
        var changes: [LinkChange] = []
        var changed = false
        var wentDown: [(bridge: String, id: UInt32)] = []
        if netns == nil {
            // Bonds with a member made again, and bonds that could not be attached once all their members are there.
            let waiting = state.bridges.flatMap(\.ports).filter { p in
                p.type == .bond && ports[p.name] == nil && failures[p.name] != nil && (p.bond?.members.allSatisfy { byName[$0] != nil } ?? false)
            }.map(\.name)
            for name in applyBondMemberLinks(byName, readAt: readAt) + waiting {
                if let change = reattachBond(name, state: state) { changes.append(change); changed = true }
            }
        }
        for b in state.bridges {
            for p in b.ports where p.type.hasNetdev && PortReconciler.linkNamespace(of: p) == netns {
                let seen = byName[p.name]
                if let rp = ports[p.name] {
                    guard rp.realizedAt <= readAt else { continue }
                    if p.type == .system && (seen == nil || seen?.ifindex != rp.link.ifindex) {
                        detach(rp, state: state)
                        changed = true
                        changes.append(LinkChange(bridge: b.name, port: p.name, up: false,
                                                  detail: "network device \(p.name) disappeared; detached, waiting for it to come back"))
                        if let seen, let change = reattach(p, bridge: b.name, id: rp.id, link: seen) { changes.append(change) }
                        continue
                    }
                    let now = seen ?? LinkInfo(name: p.name, ifindex: rp.link.ifindex, isUp: false, mtu: rp.link.mtu,
                                               mac: rp.link.mac, alias: rp.link.alias, carrier: false, operState: "absent")
                    let was = rp.link.isRunning
                    rp.link = now
                    guard was != now.isRunning else { continue }
                    changed = true
                    if !now.isRunning { wentDown.append((b.name, rp.id)) }
                    linkChanges[p.name, default: 0] += 1
                    changes.append(LinkChange(bridge: b.name, port: p.name, up: now.isRunning, detail: PortReconciler.describe(now)))
                } else if p.type == .system, let seen, vanished.contains(p.name) || failures[p.name] != nil {
                    let id = freeID()
                    if let change = reattach(p, bridge: b.name, id: id, link: seen) {
                        changed = true
                        changes.append(change)
                    }
                }
            }
        }
        if changed { publish(state) }
        // What was learned behind a port whose link went down is gone with it (as the kernel bridge
        // does): frames for those addresses flood until they are learned where they are now.
        if !wentDown.isEmpty {
            datapath.perform { access in
                for (bridge, id) in wentDown { access.engine(bridge)?.table.flush(port: id) }
            }
        }
        return changes
    }

    static func describe(_ l: LinkInfo) -> String {
        "link of \(l.name) is \(l.isRunning ? "up" : "down") (\(l.isUp ? "admin up" : "admin down"), "
            + "carrier \(l.carrier ? "on" : "off"), operstate \(l.operState))"
    }

    /// Takes a system port whose netdev went away out of the datapath (its AF_PACKET socket is dead).
    private func detach(_ rp: RealizedPort, state: DesiredState) {
        ports[rp.config.name] = nil
        vanished.insert(rp.config.name)
        linkChanges[rp.config.name, default: 0] += 1
        publish(state)  // the datapath lets go of the fd before it is closed
        for fd in rp.fds { Syscall.close(fd) }
        log.warning("\(rp.config.name): network device disappeared; detached, waiting for it to come back")
    }

    /// Attaches a system port again to the netdev `link` that appeared under its name.
    private func reattach(_ p: PortConfig, bridge: String, id: UInt32, link: LinkInfo) -> LinkChange? {
        do {
            let rp = try realize(p, bridge: bridge, id: id, isNew: false)
            ports[p.name] = rp
            vanished.remove(p.name)
            failures[p.name] = nil
            linkChanges[p.name, default: 0] += 1
            log.info("\(p.name): network device is back (ifindex \(rp.link.ifindex)); re-attached")
            return LinkChange(bridge: bridge, port: p.name, kind: "port-reattached",
                              detail: "network device \(p.name) is back (ifindex \(rp.link.ifindex)); re-attached; "
                                  + PortReconciler.describe(rp.link))
        } catch {
            failures[p.name] = "\(error)"
            log.warning("\(p.name): could not re-attach: \(error)")
            return nil
        }
    }

    func freeID() -> UInt32 {
        let used = Set(ports.values.map(\.id))
        var id: UInt32 = 0
        while used.contains(id) { id += 1 }
        return id
    }
}
