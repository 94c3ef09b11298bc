import TapestryModel

/// What a running network puts on the host, as values: the addresses and routes on its bridge's
/// host port, the forwarding sysctls, its nftables chains and script, and the files and configs of
/// its dnsmasq and radvd. Rendered from a definition by `desired(for:...)`; the network controller
/// keeps the one it realized, and `NetworkPlan` is the difference between two of them. Pure.
public struct NetworkRealization: Hashable, Sendable {
    /// The bridge's host port (named like the bridge) that holds the addresses and routes.
    public var interface: String
    /// Gateway addresses with their prefix, in definition order.
    public var addresses: [IPNetwork] = []
    /// Static routes via a host on the network (`<route>`).
    public var routes: [IPRoute] = []
    /// Whether the port has IPv6 (an IPv6 address); without it IPv6 is disabled on the port.
    public var ipv6: Bool = false
    /// Whether the forward mode needs `net.ipv4.ip_forward` (nat, route, open with IPv4).
    public var forwardIPv4: Bool = false
    /// Whether it needs `net.ipv6.conf.all.forwarding`.
    public var forwardIPv6: Bool = false
    /// The `nft -f` script of the forward mode; nil when the mode has no rules.
    public var ruleset: String?
    /// The chains that script creates.
    public var chains: Set<NftablesChain> = []
    /// dnsmasq.conf; nil when the network runs no dnsmasq.
    public var dnsmasqConfig: String?
    /// dnsmasq's DHCP hosts file (re-read on SIGHUP).
    public var dhcpHosts: String = ""
    /// dnsmasq's additional hosts file (re-read on SIGHUP).
    public var dnsHosts: String = ""
    /// radvd.conf; nil when radvd does not run.
    public var radvdConfig: String?

    /// Nothing on the host for a network on `interface` (before start, after stop).
    public init(interface: String) {
        self.interface = interface
    }

    /// What `def` needs on the host, with dnsmasq's files named by `dnsmasq` and radvd used when
    /// `radvd` is true (else dnsmasq sends router advertisements).
    public static func desired(for def: NetworkDefinition, dnsmasq: DnsmasqRenderContext, radvd: Bool,
                               nftables: NftablesRenderContext = NftablesRenderContext()) -> NetworkRealization {
        var r = NetworkRealization(interface: def.bridge.name ?? def.name)
        r.addresses = def.ips.map { IPNetwork(address: $0.address, prefix: $0.effectivePrefix) }
        r.routes = def.routes.map(\.installed)
        r.ipv6 = !def.ipv6.isEmpty
        let forwards = [.nat, .route, .open].contains(def.forward.mode)
        r.forwardIPv4 = forwards && !def.ipv4.isEmpty
        r.forwardIPv6 = forwards && !def.ipv6.isEmpty
        r.ruleset = NftablesRulesetRenderer.ruleset(for: def, context: nftables)
        r.chains = r.ruleset == nil ? [] : NftablesRulesetRenderer.chains(for: def, context: nftables)
        if needsDnsmasq(def) {
            var context = dnsmasq
            context.routerAdvertisements = !radvd
            r.dnsmasqConfig = DnsmasqConfigRenderer.config(for: def, context: context)
            r.dhcpHosts = DnsmasqConfigRenderer.hostsFile(for: def)
            r.dnsHosts = DnsmasqConfigRenderer.addnHostsFile(for: def)
        }
        r.radvdConfig = radvd ? RadvdConfigRenderer.config(for: def) : nil
        return r
    }

    /// dnsmasq runs for a network with addresses that wants DNS or DHCP.
    public static func needsDnsmasq(_ def: NetworkDefinition) -> Bool {
        !def.ips.isEmpty && (def.dns.isEnabled || def.ips.contains { $0.hasDHCP })
    }
}

extension Route {
    /// The route as installed: destination masked to its prefix, via the gateway, with the metric.
    public var installed: IPRoute {
        let prefix = effectivePrefix
        return IPRoute(destination: IPNetwork(address: address.masked(prefix: prefix), prefix: prefix), gateway: gateway,
                       metric: metric.map { UInt32(clamping: $0) })
    }
}
