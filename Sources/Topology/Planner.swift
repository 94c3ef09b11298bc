import NetworkController
import TapestryModel

/// The plan: a pure function from what the file wants, what is there and what earlier applies
/// made, to an ordered list of changes — deletes first (innermost first), then creates (outermost
/// first), then updates. `apply` runs it; `plan` prints it; an empty plan means nothing to do.
public enum Planner {
    public static func plan(desired: LabModel, observed: ObservedLab, record: LabRecord? = nil) -> [PlannedChange] {
        var p = PlanBuilder(desired: desired, observed: observed, record: record)
        p.build()
        return p.ordered()
    }

    /// What `destroy` does: remove everything the file declares or an earlier apply recorded.
    public static func destroyPlan(desired: LabModel, observed: ObservedLab, record: LabRecord? = nil) -> [PlannedChange] {
        var p = PlanBuilder(desired: desired, observed: observed, record: record)
        p.buildDestroy()
        return p.ordered()
    }

    /// The objects inside hosts that applying `desired` leaves in place (recorded for later applies and destroy).
    public static func objects(of desired: LabModel) -> [ObjectRef] {
        var out: [ObjectRef] = []
        for h in desired.hosts {
            for b in h.bridges {
                out.append(.bridge(host: h.name, bridge: b.name))
                for p in b.ports { out.append(.port(host: h.name, bridge: b.name, port: p.name)) }
                for s in b.staticMACs { out.append(.staticMAC(host: h.name, bridge: b.name, mac: s.mac.description, vlan: Int(s.vlan.value))) }
            }
            for n in h.networks {
                out.append(.network(host: h.name, network: n.name))
                for p in n.ports { out.append(.networkPort(host: h.name, network: n.name, port: p.name)) }
            }
            for a in h.addresses { out.append(.address(host: h.name, interface: a.interface, address: a.address)) }
        }
        return out
    }

    /// Whether two port settings differ in a way `set-port` can change (VLAN role, isolation) — and nothing else.
    static func needsReplacement(_ a: PortConfig, _ b: PortConfig) -> Bool {
        a.type != b.type || a.netns != b.netns || a.mtu != b.mtu || a.mac != b.mac || a.vxlan != b.vxlan || a.peer != b.peer
    }

    static func sameVLANRole(_ a: PortConfig, _ b: PortConfig) -> Bool {
        a.vlanMode == b.vlanMode && a.isolated == b.isolated && (a.policy ?? PortPolicy()) == (b.policy ?? PortPolicy())
    }

    /// Whether a running network defined as `stored` can take `next` live: the bridge's name, MTU
    /// and MAC (its host port) stay; anything else (addresses, routes, forward mode, DHCP, DNS) may change.
    static func changesLive(from stored: NetworkDefinition, to next: NetworkDefinition) -> Bool {
        (next.bridge.name == nil || next.bridge.name == stored.bridge.name) && next.mtu == stored.mtu
            && (next.mac == nil || next.mac == stored.mac) && next.forward.mode.hasOwnBridge && stored.forward.mode.hasOwnBridge
    }

    /// The changes that concern one host (its namespace, daemon, objects, and its nodes).
    public static func only(_ changes: [PlannedChange], host: String, model: LabModel) throws(TopologyHostError) -> [PlannedChange] {
        guard let h = model.host(named: host) else {
            throw TopologyHostError("could not select host \(host): no such host (hosts: \(model.hosts.map(\.name).joined(separator: ", ")))")
        }
        let nodes = Set(model.nodes.filter { $0.host == host }.map(\.name))
        let nodeNamespaces = Set(model.nodes.filter { $0.host == host }.map(\.namespace))
        return changes.filter { c in
            if let o = c.object.host { return o == host }
            switch c.object {
            case .namespace(let ns): return ns == h.namespace || nodeNamespaces.contains(ns)
            case .nodeLink(let n), .nodeConfig(let n): return nodes.contains(n)
            default: return false
            }
        }
    }

    /// A network definition as the daemon would store it, given what it generated for the stored one
    /// (uuid, MAC, bridge name): equal text means nothing to change.
    static func normalizedXML(_ def: NetworkDefinition, like stored: NetworkDefinition?) -> String {
        var d = def
        if let stored {
            if d.uuid == nil { d.uuid = stored.uuid }
            if d.mac == nil { d.mac = stored.mac }
            if d.bridge.name == nil { d.bridge.name = stored.bridge.name }
        }
        return NetworkXMLWriter.write(d)
    }
}

private struct PlanBuilder {
    let desired: LabModel
    let observed: ObservedLab
    let record: LabRecord?
    var changes: [PlannedChange] = []
    /// Hosts whose namespace goes away (nothing inside them needs deleting one by one).
    var vanishingHosts = Set<String>()
    /// Namespaces this plan creates.
    var newNamespaces = Set<String>()
    /// Ports (host/port) this plan creates or replaces.
    var newPorts = Set<String>()

    init(desired: LabModel, observed: ObservedLab, record: LabRecord?) {
        self.desired = desired; self.observed = observed; self.record = record
    }

    mutating func add(_ a: PlannedChange.Action, _ o: ObjectRef, _ s: String, _ step: ChangeStep) {
        changes.append(PlannedChange(a, o, s, step))
    }

    func ordered() -> [PlannedChange] {
        let deletes = changes.enumerated().filter { $0.element.action == .delete }.sorted { ($1.element.object.rank, $0.offset) < ($0.element.object.rank, $1.offset) }
        let creates = changes.enumerated().filter { $0.element.action == .create }.sorted { ($0.element.object.rank, $0.offset) < ($1.element.object.rank, $1.offset) }
        let updates = changes.enumerated().filter { $0.element.action == .modify }.sorted { ($0.element.object.rank, $0.offset) < ($1.element.object.rank, $1.offset) }
        return (deletes + creates + updates).map(\.element)
    }

    func owned(_ o: ObjectRef) -> Bool {
        if record?.objects.contains(o) == true { return true }
        // Everything in a lab host's daemon was made by the lab.
        if let h = o.host, o.isDaemonObject, desired.host(named: h)?.isLab == true || record?.host(named: h)?.namespace != nil { return true }
        return false
    }

    // MARK: - apply

    mutating func build() {
        removeVanishedHosts()
        let wanted = Set(Planner.objects(of: desired))
        for h in desired.hosts { planHost(h, wanted: wanted) }
        planUnderlay()
        planNodes()
        for ns in record?.namespaces ?? [] where !desired.namespaces.contains(ns) && observed.namespaces.contains(ns) {
            add(.delete, .namespace(ns), "namespace \(ns)", .deleteNamespace(ns))
        }
    }

    /// Lab hosts an earlier apply made that the file no longer has (or no longer as lab hosts).
    mutating func removeVanishedHosts() {
        for rh in record?.hosts ?? [] {
            guard let ns = rh.namespace, desired.host(named: rh.name)?.namespace != ns else { continue }
            vanishingHosts.insert(rh.name)
            add(.delete, .daemon(host: rh.name), "tapestryd of host \(rh.name)", .stopDaemon(host: rh.name))
            if observed.namespaces.contains(ns) { add(.delete, .namespace(ns), "namespace \(ns)", .deleteNamespace(ns)) }
        }
    }

    mutating func planHost(_ h: LabHost, wanted: Set<ObjectRef>) {
        var fresh = false
        if let ns = h.namespace {
            if !observed.namespaces.contains(ns) {
                add(.create, .namespace(ns), "namespace \(ns)", .createNamespace(ns))
                newNamespaces.insert(ns)
                fresh = true
            }
            if fresh || observed.hosts[h.name] == nil {
                add(.create, .daemon(host: h.name), "tapestryd of host \(h.name) in \(ns)", .startDaemon(host: h.name))
            }
        }
        let oh = fresh ? ObservedHost() : (observed.hosts[h.name] ?? ObservedHost())
        if h.forwarding && (fresh || !oh.forwarding) {
            add(.create, .forwarding(host: h.name), "IPv4 forwarding", .setForwarding(host: h.name))
        }
        let networkBridges = Set(oh.networks.compactMap(\.bridge))
        // Owned objects no longer declared.
        var goneBridges = Set<String>()
        for b in oh.bridges where !networkBridges.contains(b.name) {
            let ref = ObjectRef.bridge(host: h.name, bridge: b.name)
            if !wanted.contains(ref) && owned(ref) {
                add(.delete, ref, "bridge \(b.name)", .deleteBridge(host: h.name, b))
                goneBridges.insert(b.name)
                continue
            }
            for p in b.ports {
                let pr = ObjectRef.port(host: h.name, bridge: b.name, port: p.name)
                if !wanted.contains(pr) && owned(pr) { add(.delete, pr, "port \(p.name) of bridge \(b.name)", .deletePort(host: h.name, bridge: b.name, p)) }
            }
            for s in b.staticMACs {
                let sr = ObjectRef.staticMAC(host: h.name, bridge: b.name, mac: s.mac.description, vlan: Int(s.vlan.value))
                if !wanted.contains(sr) && owned(sr) && b.port(named: s.port) != nil {
                    add(.delete, sr, "static MAC \(s.mac) VLAN \(s.vlan) of bridge \(b.name)", .deleteStaticMAC(host: h.name, bridge: b.name, s))
                }
            }
        }
        for n in oh.networks {
            let ref = ObjectRef.network(host: h.name, network: n.name)
            if !wanted.contains(ref) && owned(ref) { add(.delete, ref, "network \(n.name)", .deleteNetwork(host: h.name, n)) }
        }
        for (iface, addrs) in oh.addresses {
            for a in addrs {
                let ref = ObjectRef.address(host: h.name, interface: iface, address: a)
                if !wanted.contains(ref) && record?.objects.contains(ref) == true {
                    add(.delete, ref, "address \(a) on \(iface)", .deleteAddress(host: h.name, InterfaceAddress(interface: iface, address: a)))
                }
            }
        }
        for b in h.bridges { planBridge(b, host: h, observed: oh.bridges.first { $0.name == b.name && !goneBridges.contains($0.name) }) }
        for n in h.networks { planNetwork(n, host: h, observed: oh) }
        for a in h.addresses {
            let have = oh.addresses[a.interface]?.contains(a.address) == true
            if !have || newPorts.contains("\(h.name)/\(a.interface)") {
                add(.create, .address(host: h.name, interface: a.interface, address: a.address), "address \(a.address) on \(a.interface)",
                    .addAddress(host: h.name, a))
            }
        }
    }

    /// Whether a port's netdev must be made again because its node's namespace is new.
    func namespaceIsNew(_ p: PortConfig) -> Bool { p.netns.map { newNamespaces.contains($0) || desiredNodeNamespaceMissing($0) } ?? false }

    func desiredNodeNamespaceMissing(_ ns: String) -> Bool {
        desired.nodes.contains { $0.namespace == ns } && !observed.namespaces.contains(ns)
    }

    mutating func planPort(_ p: PortConfig, _ old: PortConfig?, host: LabHost, bridge: String, network: String?) {
        let ref: ObjectRef = network.map { .networkPort(host: host.name, network: $0, port: p.name) } ?? .port(host: host.name, bridge: bridge, port: p.name)
        let what = "port \(p.name) (\(describe(p))) on \(network.map { "network \($0)" } ?? "bridge \(bridge)")"
        let create: ChangeStep = network.map { .addNetworkPort(host: host.name, network: $0, p) } ?? .addPort(host: host.name, bridge: bridge, p)
        guard let old else {
            add(.create, ref, what, create)
            newPorts.insert("\(host.name)/\(p.name)")
            return
        }
        if Planner.needsReplacement(old, p) || namespaceIsNew(p) {
            add(.delete, ref, "port \(p.name) (\(describe(old)), replaced)", .deletePort(host: host.name, bridge: bridge, old))
            add(.create, ref, what, create)
            newPorts.insert("\(host.name)/\(p.name)")
        } else if !Planner.sameVLANRole(old, p) {
            add(.modify, ref, "port \(p.name): \(describe(old)) → \(describe(p))", .setPort(host: host.name, bridge: bridge, old: old, new: p))
        }
    }

    mutating func planBridge(_ b: BridgeConfig, host: LabHost, observed ob: BridgeConfig?) {
        let ref = ObjectRef.bridge(host: host.name, bridge: b.name)
        if let ob {
            if ob.mode != b.mode || ob.macAging != b.macAging || ob.macTableSize != b.macTableSize || ob.stp != b.stp {
                add(.modify, ref, "bridge \(b.name): \(describeBridge(ob)) → \(describeBridge(b))", .setBridge(host: host.name, old: ob, new: b))
            }
        } else {
            add(.create, ref, "bridge \(b.name) (\(describeBridge(b)))", .addBridge(host: host.name, b))
        }
        for p in b.ports { planPort(p, ob?.port(named: p.name), host: host, bridge: b.name, network: nil) }
        for s in b.staticMACs {
            let have = ob?.staticMACs.first { $0.mac == s.mac && $0.vlan == s.vlan }
            if have != s || newPorts.contains("\(host.name)/\(s.port)") {
                let via = s.remote.map { " via \($0)" } ?? ""
                add(.create, .staticMAC(host: host.name, bridge: b.name, mac: s.mac.description, vlan: Int(s.vlan.value)),
                    "static MAC \(s.mac) VLAN \(s.vlan) on \(b.name)/\(s.port)\(via)", .addStaticMAC(host: host.name, bridge: b.name, s))
            }
        }
    }

    mutating func planNetwork(_ n: LabNetwork, host: LabHost, observed oh: ObservedHost) {
        let ref = ObjectRef.network(host: host.name, network: n.name)
        let mode = n.definition.forward.mode == .isolated ? "isolated" : n.definition.forward.mode.rawValue
        let subnet = n.definition.ips.first.map { " \($0.address)/\($0.effectivePrefix)" } ?? ""
        let create = ChangeStep.createNetwork(host: host.name, name: n.name, xml: n.xml, autostart: n.autostart)
        var bridgePorts: [PortConfig]? = nil
        if let on = oh.networks.first(where: { $0.name == n.name }) {
            let stored = try? NetworkXMLParser.parse(on.xml)
            let same = stored.map { Planner.normalizedXML(n.definition, like: $0) == NetworkXMLWriter.write($0) } ?? false
            if !same && on.active, let stored, Planner.changesLive(from: stored, to: n.definition) {
                add(.modify, ref, "network \(n.name) (\(mode)\(subnet)), changed live", .changeNetwork(host: host.name, old: on, xml: n.xml))
                if on.autostart != n.autostart {
                    add(.modify, ref, "network \(n.name): autostart \(n.autostart ? "on" : "off")", .setAutostart(host: host.name, network: n.name, n.autostart))
                }
                bridgePorts = on.bridge.flatMap { br in oh.bridges.first { $0.name == br } }?.ports.filter { $0.name != on.bridge }
            } else if !same || !on.active {
                add(.delete, ref, "network \(n.name) (\(on.active ? "changed" : "not running"), replaced)", .deleteNetwork(host: host.name, on))
                add(.create, ref, "network \(n.name) (\(mode)\(subnet))", create)
            } else {
                if on.autostart != n.autostart {
                    add(.modify, ref, "network \(n.name): autostart \(n.autostart ? "on" : "off")", .setAutostart(host: host.name, network: n.name, n.autostart))
                }
                bridgePorts = on.bridge.flatMap { br in oh.bridges.first { $0.name == br } }?.ports.filter { $0.name != on.bridge }
            }
        } else {
            add(.create, ref, "network \(n.name) (\(mode)\(subnet))", create)
        }
        for p in n.ports { planPort(p, bridgePorts?.first { $0.name == p.name }, host: host, bridge: n.definition.bridge.name ?? "", network: n.name) }
        if let bridgePorts {
            for p in bridgePorts where !n.ports.contains(where: { $0.name == p.name }) {
                let pr = ObjectRef.networkPort(host: host.name, network: n.name, port: p.name)
                if owned(pr), let br = oh.networks.first(where: { $0.name == n.name })?.bridge {
                    add(.delete, pr, "port \(p.name) of network \(n.name)", .deletePort(host: host.name, bridge: br, p))
                }
            }
        }
    }

    mutating func planUnderlay() {
        guard let u = desired.underlay else { return }
        let fresh = !observed.namespaces.contains(u.namespace)
        if fresh {
            add(.create, .namespace(u.namespace), "namespace \(u.namespace) (lab underlay)", .createNamespace(u.namespace))
            newNamespaces.insert(u.namespace)
        }
        if fresh || !observed.underlayBridge {
            add(.create, .underlayBridge, "underlay bridge \(LabUnderlay.bridgeName) in \(u.namespace)", .createUnderlayBridge(namespace: u.namespace))
        }
        for l in u.links where fresh || newNamespaces.contains(l.hostNamespace) || !observed.underlayLinks.contains(l.host) {
            add(.create, .underlayLink(host: l.host), "underlay link \(LabUnderlay.hostInterface) \(l.address)",
                .createUnderlayLink(l, underlayNamespace: u.namespace))
        }
    }

    mutating func planNodes() {
        for n in desired.nodes {
            let fresh = !observed.namespaces.contains(n.namespace)
            if fresh {
                add(.create, .namespace(n.namespace), "namespace \(n.namespace) (node \(n.name))", .createNamespace(n.namespace))
                newNamespaces.insert(n.namespace)
            }
            let on = fresh ? nil : observed.nodes[n.name]
            var linkNew = false
            if case .link(let hostName, let a) = n.attachment {
                let hostNew = desired.host(named: n.host)?.namespace.map { newNamespaces.contains($0) } ?? false
                if fresh || hostNew || on?.hasInterface != true {
                    add(.create, .nodeLink(node: n.name), "link \(n.interface) of node \(n.name) ↔ \(hostName)\(a.map { " \($0)" } ?? "") on host \(n.host)",
                        .createNodeLink(node: n.name))
                    linkNew = true
                }
            }
            guard n.address != nil || n.gateway != nil else { continue }
            var configured = false
            if let on, on.hasInterface, !linkNew {
                switch n.address {
                case .staticAddress(let c)?: configured = on.addresses.contains(c.description)
                case .dhcp?: configured = !on.addresses.isEmpty
                case nil: configured = true
                }
                if let g = n.gateway, on.defaultGateway != g.description { configured = false }
            }
            if case .port(let p) = n.attachment, newPorts.contains("\(n.host)/\(p)") { configured = false }
            if !configured {
                let addr: String
                switch n.address {
                case .staticAddress(let c)?: addr = c.description
                case .dhcp?: addr = "dhcp"
                case nil: addr = "no address"
                }
                add(.create, .nodeConfig(node: n.name), "node \(n.name): \(n.interface) \(addr)\(n.gateway.map { ", default via \($0)" } ?? "")",
                    .configureNode(node: n.name))
            }
        }
    }

    // MARK: - destroy

    mutating func buildDestroy() {
        var labHosts: [String: String] = [:]  // host → namespace
        for h in desired.hosts { if let ns = h.namespace { labHosts[h.name] = ns } }
        for rh in record?.hosts ?? [] { if let ns = rh.namespace { labHosts[rh.name] = ns } }
        for (h, ns) in labHosts.sorted(by: { $0.key < $1.key }) {
            if observed.hosts[h] != nil || record?.host(named: h)?.pid != nil {
                add(.delete, .daemon(host: h), "tapestryd of host \(h)", .stopDaemon(host: h))
            }
            if observed.namespaces.contains(ns) { add(.delete, .namespace(ns), "namespace \(ns)", .deleteNamespace(ns)) }
        }
        var namespaces = (desired.underlay.map { [$0.namespace] } ?? []) + desired.nodes.map(\.namespace)
        for ns in record?.namespaces ?? [] where !namespaces.contains(ns) { namespaces.append(ns) }
        for ns in namespaces where observed.namespaces.contains(ns) { add(.delete, .namespace(ns), "namespace \(ns)", .deleteNamespace(ns)) }
        // Existing daemons: exactly the declared and recorded objects, bridges and networks taking their ports along.
        var refs = Planner.objects(of: desired)
        for o in record?.objects ?? [] where !refs.contains(o) { refs.append(o) }
        for ref in refs {
            guard let h = ref.host, labHosts[h] == nil, let oh = observed.hosts[h] else { continue }
            let networkBridges = Set(oh.networks.compactMap(\.bridge))
            switch ref {
            case .bridge(_, let b):
                if let ob = oh.bridges.first(where: { $0.name == b }), !networkBridges.contains(b) {
                    add(.delete, ref, "bridge \(b)", .deleteBridge(host: h, ob))
                }
            case .port(_, let b, let p):
                guard !refs.contains(.bridge(host: h, bridge: b)), let op = oh.bridges.first(where: { $0.name == b })?.port(named: p) else { continue }
                add(.delete, ref, "port \(p) of bridge \(b)", .deletePort(host: h, bridge: b, op))
            case .staticMAC(_, let b, let mac, let vlan):
                guard !refs.contains(.bridge(host: h, bridge: b)),
                      let s = oh.bridges.first(where: { $0.name == b })?.staticMACs.first(where: { $0.mac.description == mac && Int($0.vlan.value) == vlan }),
                      !refs.contains(.port(host: h, bridge: b, port: s.port)) else { continue }
                add(.delete, ref, "static MAC \(mac) VLAN \(vlan) of bridge \(b)", .deleteStaticMAC(host: h, bridge: b, s))
            case .network(_, let n):
                if let on = oh.networks.first(where: { $0.name == n }) { add(.delete, ref, "network \(n)", .deleteNetwork(host: h, on)) }
            case .networkPort(_, let n, let p):
                guard !refs.contains(.network(host: h, network: n)), let br = oh.networks.first(where: { $0.name == n })?.bridge,
                      let op = oh.bridges.first(where: { $0.name == br })?.port(named: p) else { continue }
                add(.delete, ref, "port \(p) of network \(n)", .deletePort(host: h, bridge: br, op))
            default: continue
            }
        }
    }

    // MARK: - wording

    func describe(_ p: PortConfig) -> String {
        var parts = [p.type.rawValue]
        if p.type != .vxlan || p.vlan != nil || p.trunk != nil { parts.append(p.vlanSummary) }
        if p.isolated { parts.append("isolated") }
        if let v = p.vxlan { parts.append("VNI \(v.vni) to \(v.remotes.map(\.description).joined(separator: ","))") }
        if let peer = p.peer { parts.append("peer \(peer)") }
        if let m = p.mtu { parts.append("mtu \(m)") }
        if let m = p.mac { parts.append("mac \(m)") }
        if let ns = p.netns { parts.append("netns \(ns)") }
        return parts.joined(separator: ", ")
    }

    func describeBridge(_ b: BridgeConfig) -> String {
        var s = b.mode.rawValue
        if b.macAging != BridgeConfig.defaultMACAging { s += ", aging \(b.macAging)s" }
        if b.macTableSize != BridgeConfig.defaultMACTableSize { s += ", table \(b.macTableSize)" }
        if let stp = b.stp { s += ", \(stp.mode.rawValue) priority \(stp.priority)" }
        return s
    }
}
