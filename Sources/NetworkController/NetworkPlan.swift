import TapestryModel

/// The difference between what a network has on the host and what it should have, as the steps
/// that close it — and only those: a changed DHCP host reloads dnsmasq's hosts files (SIGHUP, same
/// pid) instead of restarting it; a changed address removes and adds just that address; a changed
/// forward mode reloads the rules and drops the chains the new mode does not have. Pure: the
/// network controller realizes it through HostSystem, in the order of the fields below
/// (removals before additions, routes after the addresses they go through).
public struct NetworkPlan: Hashable, Sendable {
    /// What happens to a helper process (dnsmasq, radvd).
    public enum Service: String, Hashable, Sendable {
        /// Nothing changed.
        case keep
        /// Not running, wanted: write its files and start it.
        case start
        /// Only the hosts files changed: rewrite them and send SIGHUP (the pid stays).
        case reloadHosts = "reload-hosts"
        /// Its config changed: write it and restart the process.
        case restart
        /// Running, no longer wanted: stop it.
        case stop
    }

    /// The realization the plan starts from.
    public var current: NetworkRealization
    /// The realization the plan reaches.
    public var desired: NetworkRealization
    /// Routes to remove (first: they may go through an address that goes away).
    public var removeRoutes: [IPRoute] = []
    /// Addresses to remove from the port.
    public var removeAddresses: [IPNetwork] = []
    /// IPv6 on the port switched: nil when unchanged, else whether IPv6 is on.
    public var setIPv6: Bool?
    /// Addresses to add to the port.
    public var addAddresses: [IPNetwork] = []
    /// `net.ipv4.ip_forward` must be on.
    public var enableForwardIPv4 = false
    /// `net.ipv6.conf.all.forwarding` must be on.
    public var enableForwardIPv6 = false
    /// The ruleset to load (replacing the chains it declares), nil when the rules stay.
    public var loadRuleset: String?
    /// The chains of the old rules that the new rules do not have.
    public var removeChains: Set<NftablesChain> = []
    /// Routes to add.
    public var addRoutes: [IPRoute] = []
    /// dnsmasq's step.
    public var dnsmasq: Service = .keep
    /// radvd's step.
    public var radvd: Service = .keep

    /// The plan from `current` to `desired` (the same interface: a renamed bridge is a new network).
    public init(from current: NetworkRealization, to desired: NetworkRealization) {
        self.current = current
        self.desired = desired
        removeRoutes = current.routes.filter { !desired.routes.contains($0) }
        addRoutes = desired.routes.filter { !current.routes.contains($0) }
        // A route whose gateway's subnet goes away is removed by the kernel with the address: put it back.
        let dropped = Set(current.addresses.filter { !desired.addresses.contains($0) }.map(\.subnet))
        for r in desired.routes where current.routes.contains(r) && dropped.contains(where: { $0.contains(r.gateway) }) {
            removeRoutes.append(r)
            addRoutes.append(r)
        }
        removeAddresses = current.addresses.filter { !desired.addresses.contains($0) }
        addAddresses = desired.addresses.filter { !current.addresses.contains($0) }
        let empty = NetworkRealization(interface: current.interface)
        let starting = current == empty && desired != empty
        if starting || current.ipv6 != desired.ipv6 { setIPv6 = desired.ipv6 }
        enableForwardIPv4 = desired.forwardIPv4 && !current.forwardIPv4
        enableForwardIPv6 = desired.forwardIPv6 && !current.forwardIPv6
        if desired.ruleset != current.ruleset { loadRuleset = desired.ruleset }
        removeChains = current.chains.subtracting(desired.chains)
        dnsmasq = Self.service(from: current.dnsmasqConfig, to: desired.dnsmasqConfig,
                               hostsChanged: current.dhcpHosts != desired.dhcpHosts || current.dnsHosts != desired.dnsHosts)
        radvd = Self.service(from: current.radvdConfig, to: desired.radvdConfig, hostsChanged: false)
    }

    static func service(from old: String?, to new: String?, hostsChanged: Bool) -> Service {
        switch (old, new) {
        case (nil, nil): return .keep
        case (nil, _?): return .start
        case (_?, nil): return .stop
        case (let a?, let b?): return a != b ? .restart : hostsChanged ? .reloadHosts : .keep
        }
    }

    /// Whether nothing needs doing.
    public var isEmpty: Bool { changes.isEmpty }

    /// The steps in words, in the order they are made (`- address 10.0.0.1/24`, `dnsmasq: reload-hosts`).
    public var changes: [String] {
        var out: [String] = []
        out += removeRoutes.map { "- route \($0)" }
        out += removeAddresses.map { "- address \($0)" }
        if let v6 = setIPv6 { out.append("IPv6 \(v6 ? "on" : "off")") }
        out += addAddresses.map { "+ address \($0)" }
        if enableForwardIPv4 { out.append("+ net.ipv4.ip_forward") }
        if enableForwardIPv6 { out.append("+ net.ipv6.conf.all.forwarding") }
        if loadRuleset != nil { out.append("~ firewall rules") }
        out += removeChains.sorted { ($0.family, $0.name) < ($1.family, $1.name) }.map { "- chain \($0.family) \($0.name)" }
        out += addRoutes.map { "+ route \($0)" }
        if dnsmasq != .keep { out.append("dnsmasq: \(dnsmasq.rawValue)") }
        if radvd != .keep { out.append("radvd: \(radvd.rawValue)") }
        return out
    }
}
