import ControlProtocol
import TapestryModel

/// The live topology as Graphviz dot (`tapestry graph`): the host, each bridge as a cluster with its
/// ports (type, VLAN role, isolation, namespace, state; spanning tree role, blocked links dashed), vxlan ports linked to their remotes
/// with the VNI, mirror outputs, and libvirt-style networks linked to their bridges. Pure.
enum TopologyDot {
    static func render(host: String, show: ShowResult, mirrors: [String: [MirrorConfig]] = [:],
                       networks: [NetworkInfo] = []) -> String {
        var out: [String] = []
        out.append("graph tapestry {")
        out.append("  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\(quote("host \(host)"))];")
        out.append("  node [fontname=\"Helvetica\", fontsize=10];")
        out.append("  edge [fontname=\"Helvetica\", fontsize=9];")
        var vteps: [String] = []
        var tunnelEdges: [String] = []
        for b in show.bridges {
            out.append("  subgraph \(quote("cluster_" + b.name)) {")
            out.append("    label=\(quote("bridge \(b.name)"));")
            out.append("    style=rounded;")
            out.append("    \(quote(bridgeID(b.name))) [shape=box, style=\"rounded,bold\", "
                       + "label=\(quote("\(b.name)\n\(b.mode.rawValue), \(b.macCount) MAC\(b.macCount == 1 ? "" : "s")"))];")
            let outputs = Dictionary((mirrors[b.name] ?? []).map { ($0.output, $0.name) }, uniquingKeysWith: { a, _ in a })
            for p in b.ports {
                let c = p.config
                var lines = [c.name, "\(c.type.rawValue) · \(c.vlanSummary)"]
                if c.isolated { lines.append("isolated") }
                if let ns = c.netns { lines.append("netns \(ns)") }
                if let v = c.vxlan { lines.append("VNI \(v.vni)") }
                if let bond = c.bond { lines.append("\(bond.mode.rawValue)\(bond.lacp == .off ? "" : ", LACP \(bond.lacp.rawValue)")") }
                if let m = outputs[c.name] { lines.append("mirror \(m) output") }
                if p.state != "up" { lines.append(p.state) }
                let blocked = p.stpState.map { $0 != "forwarding" } ?? false
                if let role = p.stpRole, let s = p.stpState { lines.append("stp \(role) \(s)\(blocked ? " (blocked)" : "")") }
                var color = p.state == "error" ? ", color=red" : (p.state == "up" ? "" : ", color=gray50, fontcolor=gray50")
                if blocked && p.state == "up" { color = ", color=orange, style=dashed" }
                let shape = c.type == .vxlan ? "cds" : (c.type == .system ? "component" : c.type == .bond ? "doubleoctagon" : "ellipse")
                out.append("    \(quote(portID(b.name, c.name))) [shape=\(shape), label=\(quote(lines.joined(separator: "\n")))\(color)];")
                out.append("    \(quote(bridgeID(b.name))) -- \(quote(portID(b.name, c.name)))"
                           + (blocked ? " [style=dashed, color=orange, label=\"blocked\"];" : ";"))
                if let bond = c.bond {
                    // A bond's members: small boxes hanging off the bond, gray when not carrying traffic.
                    for name in bond.members {
                        let m = p.bondMembers?.first { $0.name == name }
                        let on = m?.enabled ?? false
                        let label = "\(name)\n\(on ? "enabled" : "disabled")\(m?.active == true ? " (active)" : "")"
                        out.append("    \(quote(portID(b.name, c.name) + "/" + name)) [shape=component, label=\(quote(label))"
                                   + (on ? "" : ", color=gray50, fontcolor=gray50") + "];")
                        out.append("    \(quote(portID(b.name, c.name))) -- \(quote(portID(b.name, c.name) + "/" + name))"
                                   + (on ? " [style=bold];" : " [style=dashed, color=gray50];"))
                    }
                }
                if let v = c.vxlan {
                    for r in v.remotes.map(\.description) {
                        if !vteps.contains(r) { vteps.append(r) }
                        tunnelEdges.append("  \(quote(portID(b.name, c.name))) -- \(quote("vtep:" + r)) "
                                           + "[style=dashed, label=\(quote("VXLAN VNI \(v.vni)"))];")
                    }
                }
            }
            for m in mirrors[b.name] ?? [] {
                for s in m.selectPorts where b.ports.contains(where: { $0.config.name == s }) {
                    out.append("    \(quote(portID(b.name, s))) -- \(quote(portID(b.name, m.output))) "
                               + "[style=dotted, color=blue, label=\(quote("mirror \(m.name)"))];")
                }
            }
            out.append("  }")
        }
        for r in vteps { out.append("  \(quote("vtep:" + r)) [shape=diamond, label=\(quote("remote\n\(r)"))];") }
        out += tunnelEdges
        for n in networks {
            let label = "network \(n.name)\n\(n.forwardMode)\(n.active ? "" : " (inactive)")"
            out.append("  \(quote("net:" + n.name)) [shape=hexagon, label=\(quote(label))\(n.active ? "" : ", color=gray50")];")
            if let bridge = n.bridge, show.bridges.contains(where: { $0.name == bridge }) {
                out.append("  \(quote("net:" + n.name)) -- \(quote(bridgeID(bridge))) [style=bold];")
            }
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    static func bridgeID(_ name: String) -> String { "br:" + name }
    static func portID(_ bridge: String, _ port: String) -> String { "port:\(bridge)/\(port)" }

    /// A dot string literal: quotes and backslashes escaped, newlines as `\n`.
    static func quote(_ s: String) -> String {
        var r = "\""
        for ch in s {
            switch ch {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            default: r.append(ch)
            }
        }
        return r + "\""
    }
}
