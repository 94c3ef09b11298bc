import TapestryModel
/// Paths and header for a rendered dnsmasq configuration. Tapestry passes its own state
/// directory; the conformance test passes libvirt's (`/var/lib/libvirt/dnsmasq/NAME.*`).
public struct DnsmasqRenderContext: Hashable, Sendable {
    /// Comment lines written first (each already starting with `#`).
    public var headerLines: [String]
    /// `pid-file=` (nil: none; Tapestry runs dnsmasq in the foreground under supervision).
    public var pidFile: String?
    /// `dhcp-leasefile=` (nil: dnsmasq's default).
    public var leaseFile: String?
    /// `dhcp-hostsfile=` path, written when the network has DHCP.
    public var hostsFile: String
    /// `addn-hosts=` path, written when DNS is enabled.
    public var addnHostsFile: String
    /// Whether dnsmasq sends IPv6 router advertisements itself (`enable-ra`, `ra-only` ranges), as
    /// newer libvirt does; false when radvd sends them.
    public var routerAdvertisements: Bool = true

    /// Creates a context.
    public init(headerLines: [String], pidFile: String? = nil, leaseFile: String? = nil,
                hostsFile: String, addnHostsFile: String) {
        self.headerLines = headerLines
        self.pidFile = pidFile
        self.leaseFile = leaseFile
        self.hostsFile = hostsFile
        self.addnHostsFile = addnHostsFile
    }

    /// Tapestry's context: files `<stateDirectory>/<name>.{hostsfile,addnhosts,leases}`.
    public static func tapestry(network name: String, stateDirectory: String, pidFile: String? = nil) -> DnsmasqRenderContext {
        DnsmasqRenderContext(
            headerLines: [
                "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE",
                "##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:",
                "##    tapestry net-edit \(name)",
                "##",
                "## dnsmasq conf file created by Tapestry",
            ],
            pidFile: pidFile,
            leaseFile: "\(stateDirectory)/\(name).leases",
            hostsFile: "\(stateDirectory)/\(name).hostsfile",
            addnHostsFile: "\(stateDirectory)/\(name).addnhosts")
    }
}

/// Renders dnsmasq.conf and the DHCP hostsfile for a network, option for option as
/// libvirt's `networkDnsmasqConfContents` does. Pure: no I/O, no Foundation.
public enum DnsmasqConfigRenderer {
    /// The dnsmasq.conf text.
    public static func config(for def: NetworkDefinition, context: DnsmasqRenderContext) -> String {
        var out: [String] = context.headerLines
        let wantDNS = def.dns.isEnabled
        out.append("strict-order")
        if let pid = context.pidFile { out.append("pid-file=\(pid)") }
        if !wantDNS { out.append("port=0") }
        if wantDNS {
            var noResolv = false
            for f in def.dns.forwarders {
                var line = "server="
                if let d = f.domain { line += "/\(d)/" }
                if let a = f.address {
                    line += "\(a)"
                    if f.domain == nil { noResolv = true }
                } else {
                    line += "#"
                }
                out.append(line)
            }
            if noResolv { out.append("no-resolv") }
        }
        if let domain = def.domain {
            if domain.localOnly == true { out.append("local=/\(domain.name)/") }
            out.append("domain=\(domain.name)")
            out.append("expand-hosts")
        }
        if wantDNS {
            for ip in def.ips where ip.localPTR == true {
                if let zone = reverseZone(ip) { out.append("local=/\(zone)/") }
            }
            if def.dns.forwardPlainNames == false {
                out.append("domain-needed")
                out.append("local=//")
            }
        }
        out.append("except-interface=lo")
        out.append("bind-dynamic")
        out.append("interface=\(def.bridge.name ?? "")")
        if def.forward.mode == .isolated {
            // An isolated network offers no default route (DHCP option 3 empty) and no upstream DNS.
            out.append("dhcp-option=3")
            out.append("no-resolv")
            out.append("ra-param=*,0,0")
        }
        if wantDNS {
            for t in def.dns.txts { out.append("txt-record=\(t.name),\(t.value ?? "")") }
            for s in def.dns.srvs {
                guard let service = s.service, let proto = s.protocol else { continue }
                var line = "srv-host=_\(service)._\(proto)"
                if let d = s.domain { line += ".\(d)" }
                if let t = s.target { line += ",\(t)" }
                let port = s.port ?? 0, priority = s.priority ?? 0, weight = s.weight ?? 0
                if port > 0 || priority > 0 || weight > 0 { line += ",\(port > 0 ? port : 1)" }
                if priority > 0 || weight > 0 { line += ",\(priority)" }
                if weight > 0 { line += ",\(weight)" }
                out.append(line)
            }
        }
        for ip in def.ipv4 {
            if let root = ip.tftpRoot {
                out.append("enable-tftp")
                out.append("tftp-root=\(root)")
            }
        }
        let v4 = dhcpIP(def, .ipv4)
        let v6 = dhcpIP(def, .ipv6)
        var leases: UInt64 = 0
        for ip in [v4, v6].compactMap({ $0 }) {
            let prefix = ip.effectivePrefix
            for r in ip.dhcpRanges {
                var line = "dhcp-range=\(r.start),\(r.end),"
                line += ip.address.family == .ipv6 ? "\(prefix)" : "\(IPAddress.netmask(prefix: prefix, family: .ipv4))"
                if let lease = r.lease { line += ",\(lease.dnsmasqValue)" }
                out.append(line)
                let size = IPAddress.rangeSize(from: r.start, to: r.end) ?? 0
                leases = leases &+ size < leases ? UInt64.max : leases + size
            }
            if ip.dhcpRanges.isEmpty && !ip.dhcpHosts.isEmpty {
                out.append("dhcp-range=\(ip.address),static" + (ip.address.family == .ipv6 ? ",\(prefix)" : ""))
            }
            if ip.address.family == .ipv4 {
                out.append("dhcp-no-override")
                out.append("dhcp-authoritative")
                if let b = ip.bootp {
                    out.append(b.server.map { "dhcp-boot=\(b.file),,\($0)" } ?? "dhcp-boot=\(b.file)")
                }
            }
        }
        if leases > 0 { out.append("dhcp-lease-max=\(leases)") }
        if v4 != nil || v6 != nil {
            out.append("dhcp-hostsfile=\(context.hostsFile)")
            if let lf = context.leaseFile { out.append("dhcp-leasefile=\(lf)") }
        }
        if wantDNS { out.append("addn-hosts=\(context.addnHostsFile)") }
        if let mtu = def.mtu, v4 != nil { out.append("dhcp-option=option:mtu,\(mtu)") }
        if !context.routerAdvertisements {
            // radvd advertises the prefixes; dnsmasq only serves DHCPv6 ranges, if any.
        } else if v6 != nil {
            out.append("enable-ra")
        } else {
            for ip in def.ipv6 { out.append("dhcp-range=\(ip.address),ra-only") }
        }
        out.append(contentsOf: def.dnsmasqOptions)
        return out.joined(separator: "\n") + "\n"
    }

    /// The `dhcp-hostsfile` text: one line per static DHCP host of the DHCP `<ip>` of each family.
    public static func hostsFile(for def: NetworkDefinition) -> String {
        var lines: [String] = []
        for ip in [dhcpIP(def, .ipv4), dhcpIP(def, .ipv6)].compactMap({ $0 }) {
            for h in ip.dhcpHosts {
                guard let addr = h.ip else { continue }
                var line: String
                if ip.address.family == .ipv6 {
                    var parts: [String] = []
                    if let id = h.id { parts.append("id:\(id)") }
                    if let n = h.name { parts.append(n) }
                    parts.append("[\(addr)]")
                    line = parts.joined(separator: ",")
                } else if let mac = h.mac {
                    line = "\(mac),\(addr)" + (h.name.map { ",\($0)" } ?? "")
                } else {
                    line = "\(h.name ?? ""),\(addr)"
                }
                if let lease = h.lease { line += ",\(lease.dnsmasqValue)" }
                lines.append(line)
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// The `addn-hosts` text from `<dns><host>` records (`IP name name ...`).
    public static func addnHostsFile(for def: NetworkDefinition) -> String {
        let lines = def.dns.hosts.compactMap { h -> String? in
            guard let ip = h.ip, !h.hostnames.isEmpty else { return nil }
            return "\(ip)\t" + h.hostnames.joined(separator: "\t")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// The first `<ip>` of `family` with DHCP ranges or hosts (libvirt serves only one per family).
    static func dhcpIP(_ def: NetworkDefinition, _ family: IPAddress.Family) -> IPDefinition? {
        def.ips.first { $0.address.family == family && $0.hasDHCP }
    }

    /// The reverse DNS zone of an `<ip>` (`122.168.192.in-addr.arpa`), when its prefix falls on
    /// an octet (IPv4) or nibble (IPv6) boundary.
    static func reverseZone(_ ip: IPDefinition) -> String? {
        let prefix = ip.effectivePrefix
        let net = ip.networkAddress
        if net.family == .ipv4 {
            guard prefix % 8 == 0, prefix > 0 else { return nil }
            let v = net.ipv4Value
            let octets = [v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF].prefix(prefix / 8)
            return octets.reversed().map { String($0) }.joined(separator: ".") + ".in-addr.arpa"
        }
        guard prefix % 4 == 0, prefix > 0 else { return nil }
        var nibbles: [String] = []
        for i in 0..<(prefix / 4) {
            let word = i < 16 ? net.high : net.low
            let shift = UInt64(60 - (i % 16) * 4)
            nibbles.append(String((word >> shift) & 0xF, radix: 16))
        }
        return nibbles.reversed().joined(separator: ".") + ".ip6.arpa"
    }
}
