/// The difference between the fabric in etcd and a new one, one line per change (what
/// `tapestry cluster plan` prints and `apply` writes).
public struct ClusterPlan: Sendable, Equatable {
    public enum Change: Sendable, Equatable, CustomStringConvertible {
        case addSegment(ClusterSegment), removeSegment(String), changeSegment(ClusterSegment)
        case addHost(HostFabric), removeHost(String), changeHost(HostFabric, [String])

        public var description: String {
            switch self {
            case .addSegment(let s): return "+ segment \(s.name): VNI \(s.vni) on bridge \(s.bridge), hosts \(s.hosts.joined(separator: ", "))"
            case .removeSegment(let s): return "- segment \(s)"
            case .changeSegment(let s): return "~ segment \(s.name): VNI \(s.vni) on bridge \(s.bridge), hosts \(s.hosts.joined(separator: ", "))"
            case .addHost(let h):
                let networks = h.networks.isEmpty ? "" : "; networks \(h.networks.map(\.name).joined(separator: ", "))"
                return "+ host \(h.host) (\(h.underlay)): bridges \(h.bridges.map(\.name).joined(separator: ", "))" + networks
            case .removeHost(let h): return "- host \(h): its bridges are removed there"
            case .changeHost(let h, let what): return "~ host \(h.host): " + what.joined(separator: "; ")
            }
        }
    }

    public var changes: [Change]
    public var isEmpty: Bool { changes.isEmpty }

    public init(from old: ClusterFabric, to new: ClusterFabric) {
        var c: [Change] = []
        for name in Set(old.segments.keys).union(new.segments.keys).sorted() {
            switch (old.segments[name], new.segments[name]) {
            case (nil, let n?): c.append(.addSegment(n))
            case (_?, nil): c.append(.removeSegment(name))
            case (let o?, let n?) where o != n: c.append(.changeSegment(n))
            default: break
            }
        }
        for name in Set(old.hosts.keys).union(new.hosts.keys).sorted() {
            switch (old.hosts[name], new.hosts[name]) {
            case (nil, let n?): c.append(.addHost(n))
            case (_?, nil): c.append(.removeHost(name))
            case (let o?, let n?) where o != n: c.append(.changeHost(n, ClusterPlan.differences(o, n)))
            default: break
            }
        }
        changes = c
    }

    static func differences(_ o: HostFabric, _ n: HostFabric) -> [String] {
        var out: [String] = []
        if o.underlay != n.underlay { out.append("underlay \(o.underlay) → \(n.underlay)") }
        let ob = Dictionary(o.bridges.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let nb = Dictionary(n.bridges.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in Set(ob.keys).union(nb.keys).sorted() {
            switch (ob[name], nb[name]) {
            case (nil, _?): out.append("+ bridge \(name)")
            case (_?, nil): out.append("- bridge \(name)")
            case (let x?, let y?) where x != y:
                let xp = Set(x.ports.map(\.name)), yp = Set(y.ports.map(\.name))
                var parts: [String] = []
                for p in yp.subtracting(xp).sorted() { parts.append("+ port \(p)") }
                for p in xp.subtracting(yp).sorted() { parts.append("- port \(p)") }
                for p in xp.intersection(yp).sorted() where x.port(named: p) != y.port(named: p) { parts.append("~ port \(p)") }
                if parts.isEmpty { parts.append("settings or static MACs") }
                out.append("bridge \(name): " + parts.joined(separator: ", "))
            default: break
            }
        }
        out += networkDifferences(o.networks, n.networks)
        return out
    }

    static func networkDifferences(_ o: [ClusterNetwork], _ n: [ClusterNetwork]) -> [String] {
        let on = Dictionary(o.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let nn = Dictionary(n.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for name in Set(on.keys).union(nn.keys).sorted() {
            switch (on[name], nn[name]) {
            case (nil, _?): out.append("+ network \(name)")
            case (_?, nil): out.append("- network \(name)")
            case (let x?, let y?) where x != y:
                var parts: [String] = []
                if x.xml != y.xml { parts.append("definition (restarted)") }
                if x.autostart != y.autostart { parts.append("autostart \(y.autostart ? "on" : "off")") }
                let xp = Set(x.ports.map(\.name)), yp = Set(y.ports.map(\.name))
                for p in yp.subtracting(xp).sorted() { parts.append("+ port \(p)") }
                for p in xp.subtracting(yp).sorted() { parts.append("- port \(p)") }
                for p in xp.intersection(yp).sorted() where x.ports.first(where: { $0.name == p }) != y.ports.first(where: { $0.name == p }) {
                    parts.append("~ port \(p)")
                }
                out.append("network \(name): " + parts.joined(separator: ", "))
            default: break
            }
        }
        return out
    }
}
