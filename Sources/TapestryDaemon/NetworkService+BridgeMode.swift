import ControlProtocol
import HostSystem
import NetworkController
import TapestryModel

/// Networks of `<forward mode='bridge'>`: a name and port settings (`<port isolated>`, `<vlan>`,
/// `<portgroup>`, `<bandwidth>`) for an existing Tapestry bridge, as libvirt's bridge networks name a
/// host bridge. Starting one puts nothing on the host but its uplink (a `<forward>` `<interface
/// dev>`, attached as a system port marked with the network's name); destroying it takes that uplink
/// away again and leaves the bridge and every other port as they are.
extension NetworkService {
    /// The external id marking the uplink port a bridge-mode network attached.
    static let uplinkKey = "tapestry-network-uplink"

    func startAttachedNetwork(_ r: NetworkRecord, _ def: NetworkDefinition, transient: Bool) throws {
        let what = "could not start network \(r.name)"
        guard let bridge = def.bridge.name else {
            throw Self.refuse("\(what): forward mode 'bridge' needs <bridge name='…'/> naming a Tapestry bridge (without one it is "
                + "libvirt's macvtap network\(def.forward.dev.map { " on \($0)" } ?? ""), which Tapestry does not make)")
        }
        guard state.bridge(named: bridge) != nil else {
            throw Self.refuse("\(what): \(bridge) is not a Tapestry bridge (make it first: tapestry add-br \(bridge))")
        }
        var uplink: PortConfig? = nil
        if let dev = def.forward.interfaces.first {
            if let holder = state.bridge(holdingPort: dev) {
                // Already a port: used as it is, and left there when the network stops.
                guard holder.name == bridge else { throw Self.refuse("\(what): its uplink \(dev) is a port of bridge \(holder.name)") }
            } else {
                do { try InterfaceName.validate(dev, what: "uplink") } catch { throw Self.refuse("\(what): \(error.message)") }
                var port = PortConfig(name: dev, type: .system)
                port.externalIDs = [Self.uplinkKey: r.name]
                uplink = port
            }
        }
        do {
            try bridges.commit({ s throws(ModelError) in
                var next = s
                if let uplink { next = try next.addingPort(uplink, to: bridge) }
                if let i = next.networks.firstIndex(where: { $0.name == r.name }) {
                    next.networks[i].active = true
                    next.networks[i].liveXML = r.xml
                    if transient { next.networks[i].persistent = false }
                }
                return next
            }, touched: uplink.map { [$0.name] } ?? [])
        } catch let e as RPCError {
            throw Self.refuse(e.message.hasPrefix("could not") ? e.message : "\(what): \(e.message)")
        }
        networkManager.log.info("network \(r.name): started on bridge \(bridge)\(uplink.map { " with uplink \($0.name)" } ?? "")")
    }

    func destroyAttachedNetwork(_ r: NetworkRecord) throws {
        try bridges.commit({ s throws(ModelError) in
            var next = s
            for b in s.bridges {
                for p in b.ports where p.externalIDs?[Self.uplinkKey] == r.name {
                    next = try next.removingPort(p.name, from: b.name, ifExists: true)
                }
            }
            if let i = next.networks.firstIndex(where: { $0.name == r.name }) {
                if next.networks[i].persistent {
                    next.networks[i].active = false
                    next.networks[i].liveXML = nil
                } else {
                    next.networks.remove(at: i)
                }
            }
            return next
        }, touched: [])
        if state.network(named: r.name) == nil { networkManager.removeFiles(r.name) }
        networkManager.log.info("network \(r.name): stopped")
    }

    /// Brings the host side of a running network to `next` (a live change). A bridge-mode network
    /// has none: only a new bridge, uplink or forward mode is refused (they need a restart).
    func reconcileHost(to next: NetworkDefinition) throws {
        guard let r = state.network(named: next.name), let running = try? NetworkXMLParser.parse(r.currentXML) else {
            try networkManager.reconcile(to: next)
            return
        }
        if running.forward.mode != .bridge && next.forward.mode != .bridge {
            try networkManager.reconcile(to: next)
            return
        }
        var fixed: [String] = []
        if running.forward.mode != next.forward.mode { fixed.append("forward mode") }
        if running.bridge.name != next.bridge.name { fixed.append("bridge") }
        if running.forward.interfaces != next.forward.interfaces { fixed.append("uplink") }
        guard fixed.isEmpty else {
            throw SystemError("change network \(next.name) live", cause: "a new \(fixed.joined(separator: ", ")) takes effect at the next start")
        }
    }
}
