import TapestryModel
/// Where and how the nftables rules of a network are named.
public struct NftablesRenderContext: Hashable, Sendable {
    /// The table name used in both the `ip` and `ip6` families (Tapestry's own table).
    public var table: String

    /// Creates a context; the default table is `tapestry`.
    public init(table: String = "tapestry") {
        self.table = table
    }
}

/// Renders the `nft -f` scripts that realise a network's forward mode in Tapestry's own
/// tables, with the rule semantics of libvirt's nftables backend:
/// - nat: guests' subnet may go out (and only out `dev` when given), replies come back
///   (established/related), guest-to-guest on the bridge is allowed, everything else to or
///   from the bridge is rejected; the subnet is masqueraded (ports 1024-65535 for tcp/udp,
///   then a plain masquerade) or SNATed to `<nat><address>`, except multicast and broadcast;
/// - route: the same forwarding both ways without NAT and without the state check;
/// - isolated: only guest-to-guest; all forwarding to or from the bridge is rejected;
/// - open and the host-bridge/macvtap/hostdev modes: no rules.
/// Each network gets its own chains (named after its bridge), so deleting them never touches
/// another network's rules or anybody else's tables. Pure.
public enum NftablesRulesetRenderer {
    /// The script that (re)creates this network's chains atomically; nil when the mode needs no rules.
    public static func ruleset(for def: NetworkDefinition, context: NftablesRenderContext = NftablesRenderContext()) -> String? {
        let chains = chainSpecs(for: def, context: context)
        guard !chains.isEmpty else { return nil }
        let bridge = quoted(def.bridge.name ?? "")
        let dev = def.forward.dev.map { quoted($0) }
        let mode = def.forward.mode
        var lines: [String] = []
        var families: [String] = []
        for c in chains where !families.contains(c.family) { families.append(c.family) }
        for family in families { lines.append("add table \(family) \(context.table)") }
        for c in chains {
            lines.append("add chain \(c.family) \(context.table) \(c.name) { \(c.hook) }")
            lines.append("flush chain \(c.family) \(context.table) \(c.name)")
        }
        for family in families {
            let fam: IPAddress.Family = family == "ip" ? .ipv4 : .ipv6
            let match = fam == .ipv4 ? "ip" : "ip6"
            let fwd = "add rule \(family) \(context.table) \(chainName("fwd", def))"
            let nat = "add rule \(family) \(context.table) \(chainName("nat", def))"
            let outDev = dev.map { " oifname \($0)" } ?? ""
            let inDev = dev.map { " iifname \($0)" } ?? ""
            lines.append("\(fwd) iifname \(bridge) oifname \(bridge) counter accept")
            let subnets = def.ips.filter { $0.address.family == fam }
            if mode == .nat || mode == .route {
                for ip in subnets {
                    let net = "\(ip.networkAddress)/\(ip.effectivePrefix)"
                    lines.append("\(fwd) iifname \(bridge)\(outDev) \(match) saddr \(net) counter accept")
                    if mode == .nat && (fam == .ipv4 || def.forward.nat?.ipv6 == true) {
                        lines.append("\(fwd)\(inDev) oifname \(bridge) \(match) daddr \(net) ct state related,established counter accept")
                    } else {
                        lines.append("\(fwd)\(inDev) oifname \(bridge) \(match) daddr \(net) counter accept")
                    }
                }
            }
            lines.append("\(fwd) iifname \(bridge) counter reject")
            lines.append("\(fwd) oifname \(bridge) counter reject")
            if chains.contains(where: { $0.family == family && $0.name == chainName("nat", def) }) {
                for ip in subnets {
                    lines.append(contentsOf: natRules(nat, ip: ip, match: match, outDev: outDev, forward: def.forward))
                }
            }
        }
        if chains.contains(where: { $0.name == chainName("mangle", def) }) {
            lines.append("add rule ip \(context.table) \(chainName("mangle", def)) oifname \(bridge) udp dport 68 counter udp checksum set 0")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The script that removes only this network's chains (safe when they do not exist:
    /// each chain is declared before it is deleted, in one transaction).
    public static func deletionScript(for def: NetworkDefinition, context: NftablesRenderContext = NftablesRenderContext()) -> String? {
        let chains = chainSpecs(for: def, context: context)
        guard !chains.isEmpty else { return nil }
        var lines: [String] = []
        var families: [String] = []
        for c in chains where !families.contains(c.family) { families.append(c.family) }
        for family in families { lines.append("add table \(family) \(context.table)") }
        for c in chains { lines.append("add chain \(c.family) \(context.table) \(c.name) { \(c.hook) }") }
        for c in chains { lines.append("delete chain \(c.family) \(context.table) \(c.name)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The script that removes Tapestry's whole tables (both families), and nothing else.
    public static func tableDeletionScript(context: NftablesRenderContext = NftablesRenderContext()) -> String {
        ["ip", "ip6"].flatMap { ["add table \($0) \(context.table)", "delete table \($0) \(context.table)"] }
            .joined(separator: "\n") + "\n"
    }

    /// The chains a network's ruleset creates (family, name, hook), to tell which go away when it changes.
    public static func chains(for def: NetworkDefinition, context: NftablesRenderContext = NftablesRenderContext()) -> Set<NftablesChain> {
        Set(chainSpecs(for: def, context: context))
    }

    /// The script that removes exactly `chains` (safe when they do not exist); nil when there are none.
    public static func deletionScript(chains: Set<NftablesChain>, context: NftablesRenderContext = NftablesRenderContext()) -> String? {
        guard !chains.isEmpty else { return nil }
        let sorted = chains.sorted { ($0.family, $0.name) < ($1.family, $1.name) }
        var lines: [String] = []
        for family in Set(sorted.map(\.family)).sorted() { lines.append("add table \(family) \(context.table)") }
        for c in sorted { lines.append("add chain \(c.family) \(context.table) \(c.name) { \(c.hook) }") }
        for c in sorted { lines.append("delete chain \(c.family) \(context.table) \(c.name)") }
        return lines.joined(separator: "\n") + "\n"
    }

    typealias ChainSpec = NftablesChain

    static func chainSpecs(for def: NetworkDefinition, context: NftablesRenderContext) -> [ChainSpec] {
        let mode = def.forward.mode
        guard mode == .nat || mode == .route || mode == .isolated, def.bridge.name != nil else { return [] }
        let filter = "type filter hook forward priority 0; policy accept;"
        let natHook = "type nat hook postrouting priority 100; policy accept;"
        var specs: [ChainSpec] = []
        let hasV4 = !def.ipv4.isEmpty
        let hasV6 = !def.ipv6.isEmpty
        if hasV4 || !hasV6 { specs.append(ChainSpec(family: "ip", name: chainName("fwd", def), hook: filter)) }
        if hasV6 { specs.append(ChainSpec(family: "ip6", name: chainName("fwd", def), hook: filter)) }
        if mode == .nat && hasV4 { specs.append(ChainSpec(family: "ip", name: chainName("nat", def), hook: natHook)) }
        if mode == .nat && hasV6 && def.forward.nat?.ipv6 == true {
            specs.append(ChainSpec(family: "ip6", name: chainName("nat", def), hook: natHook))
        }
        if def.ipv4.contains(where: { $0.hasDHCP }) {
            specs.append(ChainSpec(family: "ip", name: chainName("mangle", def),
                                   hook: "type filter hook postrouting priority 0; policy accept;"))
        }
        return specs
    }

    static func natRules(_ prefix: String, ip: IPDefinition, match: String, outDev: String, forward: Forward) -> [String] {
        let net = "\(ip.networkAddress)/\(ip.effectivePrefix)"
        let from = "\(match) saddr \(net) \(match) daddr != \(net)\(outDev)"
        var lines: [String] = []
        if match == "ip" {
            lines.append("\(prefix) \(match) saddr \(net) \(match) daddr 224.0.0.0/24\(outDev) counter return")
            lines.append("\(prefix) \(match) saddr \(net) \(match) daddr 255.255.255.255/32\(outDev) counter return")
        } else {
            lines.append("\(prefix) \(match) saddr \(net) \(match) daddr ff02::/16\(outDev) counter return")
        }
        let nat = forward.nat
        let ports = "\(nat?.portStart ?? 1024)-\(nat?.portEnd ?? 65535)"
        let action: (Bool) -> String
        if match == "ip", let start = nat?.addressStart {
            let end = nat?.addressEnd ?? start
            let range = start == end ? "\(start)" : "\(start)-\(end)"
            action = { withPorts in withPorts ? "snat to \(range):\(ports)" : "snat to \(range)" }
        } else {
            action = { withPorts in withPorts ? "masquerade to :\(ports)" : "masquerade" }
        }
        lines.append("\(prefix) meta l4proto tcp \(from) counter \(action(true))")
        lines.append("\(prefix) meta l4proto udp \(from) counter \(action(true))")
        lines.append("\(prefix) \(from) counter \(action(false))")
        return lines
    }

    /// `fwd_virbr0`: the chain name, from the bridge name with characters nft identifiers
    /// cannot hold replaced by `_`.
    static func chainName(_ kind: String, _ def: NetworkDefinition) -> String {
        let bridge = (def.bridge.name ?? def.name).map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") ? c : "_"
        }
        return "\(kind)_\(String(bridge))"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.filter { $0 != "\"" && $0 != "\\" } + "\""
    }
}
