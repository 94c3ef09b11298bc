import NetworkController
import TapestryModel

/// Writes live desired state back as a topology file that `apply` accepts: per host, its bridges
/// (ports, static MACs) and networks (as inline libvirt XML, with the ports on their bridges).
public enum TopologyExporter {
    public struct Host: Sendable {
        public var name: String
        /// The control socket to write (nil: leave it to --socket).
        public var socket: String?
        public var observed: ObservedHost
        public init(name: String, socket: String?, observed: ObservedHost) { self.name = name; self.socket = socket; self.observed = observed }
    }

    public static func yaml(lab: String, hosts: [Host], implicitHost: Bool) -> String {
        var out = ["# Exported by tapestry export: the live desired state of \(hosts.map(\.name).joined(separator: ", ")).", "version: 1", "name: \(quote(lab))"]
        if !implicitHost {
            out.append("hosts:")
            for h in hosts {
                out.append("  \(quote(h.name)):" + (h.socket == nil ? " {}" : ""))
                if let s = h.socket { out.append("    socket: \(quote(s))") }
            }
        }
        let allBridges = hosts.flatMap { h in
            let netBridges = Set(h.observed.networks.compactMap(\.bridge))
            return h.observed.bridges.filter { !netBridges.contains($0.name) }.map { (h.name, $0) }
        }
        if !allBridges.isEmpty {
            out.append("bridges:")
            for (host, b) in allBridges {
                out.append("  \(quote(b.name)):")
                if !implicitHost { out.append("    host: \(quote(host))") }
                out.append("    mode: \(b.mode.rawValue)")
                if b.macAging != BridgeConfig.defaultMACAging { out.append("    mac-aging: \(b.macAging)") }
                if b.macTableSize != BridgeConfig.defaultMACTableSize { out.append("    mac-table-size: \(b.macTableSize)") }
                if let stp = b.stp {
                    out.append("    stp: \(stp.mode.rawValue)")
                    if stp.priority != 32768 { out.append("    stp-priority: \(stp.priority)") }
                }
                out += ports(b.ports, indent: "    ")
                if !b.staticMACs.isEmpty {
                    out.append("    static-macs:")
                    for s in b.staticMACs {
                        var f = ["mac: \(quote(s.mac.description))", "port: \(quote(s.port))", "vlan: \(s.vlan)"]
                        if let r = s.remote { f.append("remote: \(quote(r.description))") }
                        out.append("      - {\(f.joined(separator: ", "))}")
                    }
                }
            }
        }
        let nets = hosts.flatMap { h in h.observed.networks.map { (h, $0) } }
        if !nets.isEmpty {
            out.append("networks:")
            for (h, n) in nets {
                out.append("  \(quote(n.name)):")
                if !implicitHost { out.append("    host: \(quote(h.name))") }
                if n.autostart { out.append("    autostart: true") }
                out.append("    xml: |")
                for line in n.xml.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty { out.append("      \(line)") }
                if let br = n.bridge, let b = h.observed.bridges.first(where: { $0.name == br }) {
                    out += ports(b.ports.filter { $0.name != br }, indent: "    ")
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func ports(_ ports: [PortConfig], indent: String) -> [String] {
        guard !ports.isEmpty else { return [] }
        var out = ["\(indent)ports:"]
        for p in ports {
            var f: [String] = []
            if p.type != .tap { f.append("type: \(p.type.rawValue)") }
            if let v = p.vlan { f.append("vlan: \(v)") }
            if let t = p.trunk { f.append("trunk: \(quote(t.isAll ? "all" : t.description))") }
            if let n = p.native { f.append("native: \(n)") }
            if let m = p.nativeMode { f.append("native-mode: \(m.rawValue)") }
            if p.isolated { f.append("isolated: true") }
            if let ns = p.netns { f.append("netns: \(quote(ns))") }
            if let m = p.mtu { f.append("mtu: \(m)") }
            if let m = p.mac { f.append("mac: \(quote(m.description))") }
            if let peer = p.peer { f.append("peer: \(quote(peer))") }
            if let policy = p.policy, !policy.isEmpty { f.append("policy: {\(policy.topologyFields.joined(separator: ", "))}") }
            if let v = p.vxlan {
                var x = ["vni: \(v.vni)", "remotes: [\(v.remotes.map { quote($0.description) }.joined(separator: ", "))]"]
                if let l = v.local { x.append("local: \(quote(l.description))") }
                if v.dstPort != VXLANConfig.defaultPort { x.append("dst-port: \(v.dstPort)") }
                f.append("vxlan: {\(x.joined(separator: ", "))}")
            }
            out.append("\(indent)  \(quote(p.name)): {\(f.joined(separator: ", "))}")
        }
        return out
    }

    /// A YAML scalar: plain when safe, else double-quoted.
    static func quote(_ s: String) -> String {
        let safe = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
            && !(s.first?.isNumber ?? false) && !["true", "false", "yes", "no", "on", "off", "null", "~"].contains(s.lowercased())
        if safe { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
