import NetworkController
import TapestryModel

/// Checks a parsed topology as a whole: references between objects, duplicate names on a host,
/// VNIs, overlapping subnets, what only lab hosts may have. Every problem names its position.
public enum TopologyValidator {
    static func validate(_ file: TopologyFile, into sink: inout DiagnosticSink) {
        var v = Checker(file: file, sink: sink)
        v.run()
        sink = v.sink
    }
}

private struct Checker {
    let file: TopologyFile
    var sink: DiagnosticSink
    /// Netdev names per host (bridges, ports, links, tunnel ports) → where first declared.
    var names: [String: [String: (SourcePosition, String)]] = [:]
    /// Host-side subnets per host → (subnet, what, where).
    var subnets: [String: [(IPv4CIDR, String, SourcePosition)]] = [:]

    init(file: TopologyFile, sink: DiagnosticSink) { self.file = file; self.sink = sink }

    mutating func error(_ p: SourcePosition, _ m: String) { sink.error(p, m) }

    func knows(_ host: String) -> Bool { file.host(named: host) != nil }

    mutating func checkHost(_ host: String, _ pos: SourcePosition, _ what: String) -> Bool {
        guard knows(host) else {
            error(pos, "\(what): no host named '\(host)' (hosts: \(file.hostNames.joined(separator: ", ")))")
            return false
        }
        return true
    }

    mutating func claim(_ name: String, on host: String, _ pos: SourcePosition, _ what: String) {
        if let (first, other) = names[host, default: [:]][name] {
            error(pos, "\(what): the name \(name) is already used on host \(host) by \(other) (line \(first.line))")
        } else {
            names[host, default: [:]][name] = (pos, what)
        }
    }

    mutating func addSubnet(_ cidr: IPv4CIDR, on host: String, _ what: String, _ pos: SourcePosition) {
        for (other, otherWhat, otherPos) in subnets[host, default: []] where other.overlaps(cidr) {
            error(pos, "\(what): subnet \(cidr.network)/\(cidr.prefix) overlaps \(otherWhat)'s \(other.network)/\(other.prefix) on host \(host) (line \(otherPos.line))")
            return
        }
        subnets[host, default: []].append((cidr, what, pos))
    }

    mutating func run() {
        checkHosts()
        checkBridges()
        checkNetworks()
        checkSegments()
        checkNodes()
    }

    // MARK: - hosts and underlay

    mutating func checkHosts() {
        var namespaces: [String: SourcePosition] = [:]
        var sockets: [String: SourcePosition] = [:]
        var underlays: [IPAddress: String] = [:]
        var labSubnet: (IPNetwork, String)? = nil
        for h in file.hosts {
            switch h.access {
            case .lab(let ns):
                if let first = namespaces[ns] { error(h.position, "host \(h.name): namespace \(ns) is also host line \(first.line)'s") }
                namespaces[ns] = h.position
            case .socket(let path):
                let p = path ?? "(default socket)"
                if let first = sockets[p] { error(h.position, "host \(h.name): socket \(p) is also used by the host at line \(first.line)") }
                sockets[p] = h.position
                if h.forwarding { error(h.position, "host \(h.name): forwarding is only for lab hosts (apply changes no sysctl of an existing host)") }
            }
            guard let u = h.underlay, let up = h.underlayPosition else { continue }
            if let other = underlays[u.address] { error(up, "host \(h.name): underlay address \(u.address) is also host \(other)'s") }
            underlays[u.address] = h.name
            if h.access.isLab {
                if let (s, other) = labSubnet, s.family != u.family {
                    error(up, "host \(h.name): the lab underlay is one subnet of one address family; \(u) is \(u.family == .ipv6 ? "IPv6" : "IPv4"), host \(other)'s \(s) is not")
                } else if let (s, other) = labSubnet, !(s.prefix == u.prefix && s.contains(u.address)) {
                    error(up, "host \(h.name): the lab underlay is one subnet; \(u) is not in host \(other)'s \(s.subnet)")
                } else if labSubnet == nil {
                    labSubnet = (u, h.name)
                }
                if let v4 = u.address.ipv4 { addSubnet(IPv4CIDR(address: v4, prefix: u.prefix), on: h.name, "the underlay", up) }
            }
        }
    }

    // MARK: - bridges and ports

    mutating func checkBridges() {
        var seen: [String: SourcePosition] = [:]
        for b in file.bridges {
            if let first = seen[b.name] { error(b.position, "duplicate bridge \(b.name) (line \(first.line))") }
            seen[b.name] = b.position
            if let hs = b.hosts, let hp = b.hostsPosition {
                var unique = Set<String>()
                for h in hs {
                    _ = checkHost(h, hp, "bridge \(b.name)")
                    if !unique.insert(h).inserted { error(hp, "bridge \(b.name): host \(h) is listed twice") }
                }
                if hs.isEmpty { error(hp, "bridge \(b.name): the host list is empty") }
            }
            let hosts = file.hosts(of: b).filter(knows)
            for h in hosts { claim(b.name, on: h, b.position, "bridge \(b.name)") }
            for p in b.ports { checkPort(p, hostsOfOwner: hosts, owner: "bridge \(b.name)", bridge: b.name) }
            for s in b.staticMACs { checkStaticMAC(s, b) }
        }
    }

    mutating func checkPort(_ p: PortSpec, hostsOfOwner: [String], owner: String, bridge: String? = nil) {
        let what = "port \(p.name) of \(owner)"
        if let v = p.config.vxlan {
            // Unicast remotes, no duplicates, one underlay address family.
            do { try v.validate(port: p.name) } catch { self.error(p.position, "\(what): \(error.message)") }
        }
        if let problem = p.config.egressPolicyProblem { error(p.position, "\(what): \(problem)") }
        let host: String
        if let h = p.host {
            guard checkHost(h, p.hostPosition ?? p.position, what) else { return }
            guard hostsOfOwner.contains(h) else {
                error(p.hostPosition ?? p.position, "\(what): host \(h) does not have \(owner) (it is on \(hostsOfOwner.joined(separator: ", ")))")
                return
            }
            host = h
        } else if hostsOfOwner.count == 1 {
            host = hostsOfOwner[0]
        } else {
            if !hostsOfOwner.isEmpty { error(p.position, "\(what): \(owner) is on several hosts; say which with host:") }
            return
        }
        // A system port may attach a node's link of the same name; other ports claim their name.
        if !(p.config.type == .system && file.nodes.contains { $0.link?.hostName == p.name && file.host(of: $0) == host }) {
            claim(p.name, on: host, p.position, what)
        }
        let hostSpec = file.host(named: host)
        if let a = p.address {
            if hostSpec?.access.isLab != true {
                error(p.addressPosition ?? p.position, "\(what): addresses on internal ports are set only on lab hosts")
            } else {
                addSubnet(a, on: host, what, p.addressPosition ?? p.position)
            }
        }
        if let ns = p.config.netns, let node = file.nodes.first(where: { file.namespace(of: $0) == ns || $0.name == ns }) {
            error(p.netnsPosition ?? p.position, "\(what): netns \(ns) is node \(node.name)'s; give the node port: \(p.name) instead")
        }
        if p.config.type == .patch, let peer = p.config.peer, peer != p.name { checkPatchPeer(p, peer, host: host, bridge: bridge, what: what) }
    }

    /// A patch port's peer is a patch port on another bridge of the same host whose peer is this port
    /// (what the daemon requires of a pair; a file declares both ends).
    mutating func checkPatchPeer(_ p: PortSpec, _ peer: String, host: String, bridge: String?, what: String) {
        let pos = p.peerPosition ?? p.position
        let ends = file.bridges.flatMap { b in
            b.ports.filter { $0.name == peer && file.host(of: $0, on: b) == host }.map { (b.name, $0) }
        }
        guard let (peerBridge, other) = ends.first else {
            error(pos, "\(what): peer \(peer) is not a port of a bridge on host \(host); declare both ends of the patch pair")
            return
        }
        if other.config.type != .patch || other.config.peer != p.name {
            error(pos, "\(what): peer \(peer) (line \(other.position.line)) must be a patch port whose peer is \(p.name)")
        } else if peerBridge == bridge {
            error(pos, "\(what): peer \(peer) is on the same bridge \(peerBridge); a patch pair joins two bridges")
        }
    }

    mutating func checkStaticMAC(_ s: StaticMACSpec, _ b: BridgeSpec) {
        let hosts = file.hosts(of: b)
        let host = s.host ?? (hosts.count == 1 ? hosts.first : nil)
        guard let host else { error(s.position, "a static MAC of bridge \(b.name): the bridge is on several hosts; say which with host:"); return }
        guard checkHost(host, s.position, "a static MAC of bridge \(b.name)") else { return }
        let ports = b.ports.filter { file.host(of: $0, on: b) == host }
        guard let port = ports.first(where: { $0.name == s.entry.port }) else {
            error(s.portPosition, "a static MAC of bridge \(b.name): no port \(s.entry.port) on this bridge on host \(host)")
            return
        }
        if s.entry.remote != nil && port.config.type != .vxlan {
            error(s.position, "static MAC \(s.entry.mac): remote applies to vxlan ports only")
        }
        if let r = s.entry.remote, let v = port.config.vxlan, r.family != v.underlayFamily {
            error(s.position, "static MAC \(s.entry.mac): remote \(r) is not of the address family of \(port.name)'s underlay")
        }
    }

    // MARK: - networks

    mutating func checkNetworks() {
        var seen: [String: SourcePosition] = [:]
        var bridgeNames: [String: String] = [:]
        for n in file.networks {
            if let first = seen[n.name] { error(n.position, "duplicate network \(n.name) (line \(first.line))") }
            seen[n.name] = n.position
            let what = "network \(n.name)"
            guard let host = file.host(of: n) else {
                if n.host == nil { error(n.position, "\(what): the file has several hosts; say which with host:") }
                else { _ = checkHost(n.host!, n.hostPosition ?? n.position, what) }
                continue
            }
            guard checkHost(host, n.hostPosition ?? n.position, what) else { continue }
            if let b = n.definition.bridge.name {
                claim(b, on: host, n.bridgePosition, "\(what)'s bridge")
                let key = "\(host)/\(b)"
                if let other = bridgeNames[key] { error(n.bridgePosition, "\(what): bridge \(b) is also network \(other)'s") }
                bridgeNames[key] = n.name
            } else if file.host(named: host)?.access.isLab == false {
                // The daemon picks virbrN; fine.
            }
            for ip in n.definition.ipv4 {
                let cidr = IPv4CIDR(address: IPv4Address(value: ip.address.ipv4Value), prefix: ip.effectivePrefix)
                addSubnet(cidr, on: host, what, n.addressPosition)
            }
            for p in n.ports { checkPort(p, hostsOfOwner: [host], owner: what) }
        }
    }

    // MARK: - segments

    mutating func checkSegments() {
        var vnis: [Int: (String, SourcePosition)] = [:]
        var perBridge: [String: [SegmentSpec]] = [:]
        for s in file.segments {
            let what = "segment \(s.name)"
            guard let b = file.bridges.first(where: { $0.name == s.bridge }) else {
                error(s.bridgePosition, "\(what): no bridge named '\(s.bridge)'")
                continue
            }
            let bridgeHosts = file.hosts(of: b)
            let hosts = file.hosts(of: s)
            if let hp = s.hostsPosition {
                for h in hosts where checkHost(h, hp, what) && !bridgeHosts.contains(h) {
                    error(hp, "\(what): host \(h) does not have bridge \(b.name)")
                }
            }
            if Set(hosts).count < 2 { error(s.hostsPosition ?? s.position, "\(what): a segment joins at least two hosts (it has \(Set(hosts).count))") }
            var family: (IPAddress.Family, String)?
            for h in hosts {
                guard let spec = file.host(named: h) else { continue }
                guard let u = spec.underlay else {
                    error(s.position, "\(what): host \(h) has no underlay address for the tunnels")
                    continue
                }
                if let (f, first) = family, f != u.family {
                    error(spec.underlayPosition ?? s.position, "\(what): host \(h)'s underlay \(u.address) is \(u.family == .ipv6 ? "IPv6" : "IPv4") but host \(first)'s is \(f == .ipv6 ? "IPv6" : "IPv4"); a segment's tunnels use one address family")
                } else if family == nil {
                    family = (u.family, h)
                }
            }
            let vni = file.vni(of: s)
            let vniPos = s.vniPosition ?? s.position
            if let (other, _) = vnis[vni] {
                error(vniPos, s.vni == nil ? "\(what): the VNI chosen for it (\(vni)) is segment \(other)'s; give one with vni:"
                                            : "\(what): VNI \(vni) is also segment \(other)'s")
            } else {
                for h in hosts where knows(h) { claim(file.tunnelPortName(of: s), on: h, vniPos, "\(what)'s tunnel port") }
            }
            vnis[vni] = (s.name, vniPos)
            for other in perBridge[s.bridge, default: []] {
                let shared = Set(file.hosts(of: other)).intersection(hosts)
                guard shared.count >= 2 else { continue }
                if s.vlan == nil || other.vlan == nil || s.vlan == other.vlan {
                    error(s.position, "\(what): segment \(other.name) joins the same hosts on bridge \(s.bridge); two tunnels carrying the same VLANs make a loop (give each its own vlan:)")
                }
            }
            perBridge[s.bridge, default: []].append(s)
        }
    }

    // MARK: - nodes

    mutating func checkNodes() {
        var namespaces: [String: String] = [:]
        for h in file.hosts { if case .lab(let ns) = h.access { namespaces[ns] = "host \(h.name)" } }
        if !file.underlayHosts.isEmpty { namespaces[file.underlayNamespace] = "the lab underlay" }
        var usedPorts: [String: String] = [:]
        var addresses: [IPv4Address: String] = [:]
        for n in file.nodes {
            let what = "node \(n.name)"
            let ns = file.namespace(of: n)
            if let other = namespaces[ns] { error(n.position, "\(what): namespace \(ns) is also \(other)'s") }
            namespaces[ns] = what
            guard let host = file.host(of: n) else {
                if let h = n.host { _ = checkHost(h, n.hostPosition ?? n.position, what) }
                else if let p = n.port, !file.hostNames.contains(where: { file.port(named: p, on: $0) != nil }) {
                    error(n.portPosition ?? n.position, "\(what): no port named '\(p)' on any bridge or network")
                } else {
                    error(n.position, "\(what): the file has several hosts; say which with host:")
                }
                continue
            }
            guard checkHost(host, n.hostPosition ?? n.position, what) else { continue }
            var subnet: IPv4CIDR? = nil
            if let p = n.port {
                let pp = n.portPosition ?? n.position
                if let found = file.port(named: p, on: host) {
                    if found.port.config.type != .tap {
                        error(pp, "\(what): port \(p) is a \(found.port.config.type.rawValue) port; a node needs a tap port")
                    }
                    if found.port.config.netns != nil {
                        error(pp, "\(what): port \(p) already has netns \(found.port.config.netns!); leave it out, the node's namespace is used")
                    }
                    if let other = usedPorts["\(host)/\(p)"] { error(pp, "\(what): port \(p) is already node \(other)'s") }
                    usedPorts["\(host)/\(p)"] = n.name
                    if let net = found.network, let def = file.networks.first(where: { $0.name == net })?.definition.ipv4.first {
                        subnet = IPv4CIDR(address: IPv4Address(value: def.address.ipv4Value), prefix: def.effectivePrefix)
                    }
                } else {
                    error(pp, "\(what): no port named '\(p)' on host \(host)")
                }
            }
            if let link = n.link {
                let lp = n.linkPosition ?? n.position
                if file.host(named: host)?.access.isLab != true {
                    error(lp, "\(what): a link needs a lab host (it adds an interface to the host's namespace)")
                }
                if !file.bridges.contains(where: { b in b.ports.contains { $0.name == link.hostName && $0.config.type == .system } }) {
                    claim(link.hostName, on: host, lp, "\(what)'s link")
                }
                if let a = link.hostAddress {
                    addSubnet(a, on: host, "\(what)'s link", lp)
                    subnet = a
                }
            }
            if case .staticAddress(let cidr)? = n.address {
                let ap = n.addressPosition ?? n.position
                if let other = addresses[cidr.address] { error(ap, "\(what): address \(cidr.address) is also node \(other)'s") }
                addresses[cidr.address] = n.name
                if let s = subnet, !s.contains(cidr.address) || s.prefix != cidr.prefix {
                    error(ap, "\(what): address \(cidr) is not in the subnet of its link or network (\(s.network)/\(s.prefix))")
                }
                if let s = subnet, s.address == cidr.address { error(ap, "\(what): address \(cidr.address) is the host side's") }
                if let g = n.gateway, !cidr.contains(g) {
                    error(n.gatewayPosition ?? n.position, "\(what): gateway \(g) is not in \(cidr.network)/\(cidr.prefix)")
                }
            }
            if n.address == .dhcp {
                let port = n.port.flatMap { file.port(named: $0, on: host) }
                if port?.network == nil {
                    // DHCP from elsewhere (a node running a server) is possible but not checked; a network is the usual source.
                }
                if n.gateway != nil {
                    error(n.gatewayPosition ?? n.position, "\(what): with dhcp the gateway comes from the DHCP server")
                }
            }
            if n.gateway != nil && n.address == nil {
                error(n.gatewayPosition ?? n.position, "\(what): a gateway needs an address")
            }
        }
    }
}
