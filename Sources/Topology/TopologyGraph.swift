import TapestryModel

/// A Graphviz picture of a lab: a cluster per host with its bridges, networks and ports, nodes
/// beside their ports, and each segment's tunnels as dashed edges between hosts labelled with the VNI.
public enum TopologyGraph {
    public static func dot(_ lab: LabModel) -> String {
        var out = ["graph \"\(esc(lab.name))\" {", "  graph [rankdir=LR, fontname=Helvetica, label=\"lab \(esc(lab.name))\"];",
                   "  node [fontname=Helvetica, fontsize=10]; edge [fontname=Helvetica, fontsize=9];"]
        func id(_ parts: String...) -> String { "\"" + esc(parts.joined(separator: "/")) + "\"" }
        var tunnels: [Int: [(String, String)]] = [:]
        for h in lab.hosts {
            out.append("  subgraph \"cluster_\(esc(h.name))\" {")
            out.append("    label=\"host \(esc(h.name))\(h.underlay.map { "\\n\($0)" } ?? "")\(h.namespace.map { "\\nnetns \(esc($0))" } ?? "")\"; style=rounded;")
            for b in h.bridges {
                out.append("    \(id(h.name, "br", b.name)) [shape=box, style=filled, fillcolor=lightblue, label=\"bridge \(esc(b.name))\\n\(b.mode.rawValue)\"];")
                for p in b.ports {
                    if let v = p.vxlan { tunnels[v.vni, default: []].append((h.name, id(h.name, "br", b.name))); continue }
                    out.append("    \(id(h.name, "port", p.name)) [shape=ellipse, label=\"\(esc(p.name))\\n\(esc(p.type.rawValue)) \(esc(p.vlanSummary))\(p.isolated ? "\\nisolated" : "")\"];")
                    out.append("    \(id(h.name, "br", b.name)) -- \(id(h.name, "port", p.name));")
                }
            }
            for n in h.networks {
                let mode = n.definition.forward.mode == .isolated ? "isolated" : n.definition.forward.mode.rawValue
                let addr = n.definition.ips.first.map { "\\n\($0.address)/\($0.effectivePrefix)" } ?? ""
                out.append("    \(id(h.name, "net", n.name)) [shape=box, style=\"filled,rounded\", fillcolor=palegreen, label=\"network \(esc(n.name))\\n\(mode)\(addr)\"];")
                for p in n.ports {
                    out.append("    \(id(h.name, "port", p.name)) [shape=ellipse, label=\"\(esc(p.name))\\n\(esc(p.vlanSummary))\"];")
                    out.append("    \(id(h.name, "net", n.name)) -- \(id(h.name, "port", p.name));")
                }
            }
            for a in h.addresses { out.append("    \(id(h.name, "port", a.interface)) [xlabel=\"\(esc(a.address))\"];") }
            out.append("  }")
        }
        for n in lab.nodes {
            let addr: String
            switch n.address {
            case .staticAddress(let c)?: addr = c.description
            case .dhcp?: addr = "dhcp"
            case nil: addr = ""
            }
            out.append("  \(id("node", n.name)) [shape=component, style=filled, fillcolor=lightyellow, label=\"\(esc(n.name))\\n\(esc(addr))\"];")
            switch n.attachment {
            case .port(let p): out.append("  \(id(n.host, "port", p)) -- \(id("node", n.name));")
            case .link(let hostName, _):
                out.append("  \(id(n.host, "link", hostName)) [shape=ellipse, label=\"\(esc(hostName))\\nlink\"];")
                out.append("  \(id(n.host, "link", hostName)) -- \(id("node", n.name));")
            }
        }
        for (vni, ends) in tunnels.sorted(by: { $0.key < $1.key }) {
            for i in 0..<ends.count {
                for j in (i + 1)..<ends.count {
                    out.append("  \(ends[i].1) -- \(ends[j].1) [style=dashed, color=darkorange, label=\"VNI \(vni)\"];")
                }
            }
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    static func esc(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
}
