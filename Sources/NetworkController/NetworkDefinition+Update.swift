import TapestryModel
/// `virsh net-update` commands.
public enum NetworkUpdateCommand: String, Hashable, Sendable, CaseIterable {
    /// Same as `add-last`.
    case add
    /// Remove the matching entry.
    case delete
    /// Replace the matching entry.
    case modify
    /// Insert at the front.
    case addFirst = "add-first"
    /// Append at the end.
    case addLast = "add-last"

    var isAdd: Bool { self == .add || self == .addFirst || self == .addLast }
}

/// `virsh net-update` sections Tapestry can update.
public enum NetworkUpdateSection: String, Hashable, Sendable, CaseIterable {
    case ipDHCPHost = "ip-dhcp-host"
    case ipDHCPRange = "ip-dhcp-range"
    case dnsHost = "dns-host"
    case dnsTxt = "dns-txt"
    case dnsSrv = "dns-srv"
    case forwardInterface = "forward-interface"
    case portgroup
}

extension NetworkDefinition {
    /// Applies one `net-update` as libvirt's `virNetworkDefUpdateSection` does: `xml` is the
    /// single element of the section (`<host .../>`, `<range .../>`, ...); `parentIndex` picks
    /// the `<ip>` for the DHCP sections (nil = the one with DHCP, else the first IPv4, else IPv6).
    /// On error nothing is changed.
    public mutating func update(command: NetworkUpdateCommand, section: NetworkUpdateSection,
                                xml: String, parentIndex: Int? = nil) throws {
        self = try updating(command: command, section: section, xml: xml, parentIndex: parentIndex)
    }

    /// The definition after the update; `self` is unchanged.
    public func updating(command: NetworkUpdateCommand, section: NetworkUpdateSection,
                         xml: String, parentIndex: Int? = nil) throws -> NetworkDefinition {
        let node = try XMLTreeBuilder.parse(xml)
        var def = self
        let fail = { (reason: String) in NetworkXMLError.update(self.name, section.rawValue, reason) }
        let expected: String
        switch section {
        case .ipDHCPHost, .dnsHost: expected = "host"
        case .ipDHCPRange: expected = "range"
        case .dnsTxt: expected = "txt"
        case .dnsSrv: expected = "srv"
        case .forwardInterface: expected = "interface"
        case .portgroup: expected = "portgroup"
        }
        guard node.name == expected else {
            throw fail("unexpected element <\(node.name)>, expecting <\(expected)>")
        }
        switch section {
        case .ipDHCPHost: try def.updateDHCPHost(command, node, parentIndex, fail)
        case .ipDHCPRange: try def.updateDHCPRange(command, node, parentIndex, fail)
        case .forwardInterface: try def.updateForwardInterface(command, node, fail)
        case .portgroup: try def.updatePortGroup(command, node, fail)
        case .dnsHost: try def.updateDNSHost(command, node, fail)
        case .dnsTxt: try def.updateDNSTxt(command, node, fail)
        case .dnsSrv: try def.updateDNSSrv(command, node, fail)
        }
        return def
    }

    private func ipIndex(_ parentIndex: Int?, _ fail: (String) -> NetworkXMLError) throws -> Int {
        if let p = parentIndex, p >= 0 {
            guard p < ips.count else { throw fail("no <ip> element found at index \(p)") }
            return p
        }
        if let i = ips.firstIndex(where: { $0.hasDHCP }) { return i }
        if let i = ips.firstIndex(where: { $0.address.family == .ipv4 }) { return i }
        if let i = ips.firstIndex(where: { $0.address.family == .ipv6 }) { return i }
        throw fail("no <ip> element found")
    }

    private func checkSingleDHCP(_ index: Int, _ fail: (String) -> NetworkXMLError) throws {
        let family = ips[index].address.family
        for (i, ip) in ips.enumerated() where i != index && ip.address.family == family && ip.hasDHCP {
            throw fail("dhcp is supported only for a single \(family == .ipv4 ? "IPv4" : "IPv6") address on each network")
        }
    }

    private mutating func updateDHCPHost(_ command: NetworkUpdateCommand, _ node: XMLElementNode, _ parentIndex: Int?,
                                         _ fail: (String) -> NetworkXMLError) throws {
        let index = try ipIndex(parentIndex, fail)
        let host = try NetworkXMLParser.parseDHCPHost(node, in: ips[index], partial: command == .delete)
        let hostMAC = host.mac.flatMap(MACAddress.init)
        func sameMAC(_ other: DHCPHost) -> Bool {
            hostMAC != nil && other.mac.flatMap(MACAddress.init) == hostMAC
        }
        let describe = "<host mac='\(host.mac ?? "unknown")' name='\(host.name ?? "")' ip='\(host.ip.map { "\($0)" } ?? "unknown")'/>"
        var hosts = ips[index].dhcpHosts
        switch command {
        case .modify:
            guard let i = hosts.firstIndex(where: { sameMAC($0) || (host.ip != nil && $0.ip == host.ip) || (host.name != nil && $0.name == host.name) }) else {
                throw fail("couldn't locate an existing dhcp host entry matching \(describe)")
            }
            hosts[i] = host
        case .add, .addFirst, .addLast:
            try checkSingleDHCP(index, fail)
            if hosts.contains(where: { sameMAC($0) || (host.name != nil && $0.name == host.name) || (host.ip != nil && $0.ip == host.ip) }) {
                throw fail("there is an existing dhcp host entry that matches \(describe)")
            }
            hosts.insert(host, at: command == .addFirst ? 0 : hosts.count)
        case .delete:
            guard let i = hosts.firstIndex(where: { h in
                (host.mac == nil || h.mac == nil || sameMAC(h)) &&
                    (host.name == nil || h.name == host.name) &&
                    (host.ip == nil || h.ip == host.ip)
            }) else {
                throw fail("couldn't locate a matching dhcp host entry")
            }
            hosts.remove(at: i)
        }
        ips[index].dhcpHosts = hosts
    }

    private mutating func updateDHCPRange(_ command: NetworkUpdateCommand, _ node: XMLElementNode, _ parentIndex: Int?,
                                          _ fail: (String) -> NetworkXMLError) throws {
        let index = try ipIndex(parentIndex, fail)
        if command == .modify { throw fail("dhcp ranges cannot be modified, only added or deleted") }
        let range = try NetworkXMLParser.parseDHCPRange(node, in: ips[index])
        let existing = ips[index].dhcpRanges.firstIndex(where: { $0.start == range.start && $0.end == range.end })
        if command.isAdd {
            try checkSingleDHCP(index, fail)
            if existing != nil {
                throw fail("there is an existing dhcp range entry that matches <range start='\(range.start)' end='\(range.end)'/>")
            }
            ips[index].dhcpRanges.insert(range, at: command == .addFirst ? 0 : ips[index].dhcpRanges.count)
        } else {
            guard let i = existing else { throw fail("couldn't locate a matching dhcp range entry") }
            ips[index].dhcpRanges.remove(at: i)
        }
    }

    private mutating func updateForwardInterface(_ command: NetworkUpdateCommand, _ node: XMLElementNode,
                                                 _ fail: (String) -> NetworkXMLError) throws {
        if command == .modify { throw fail("forward interface entries cannot be modified, only added or deleted") }
        guard let dev = node.attribute("dev") else { throw fail("missing dev attribute in <interface> element") }
        let existing = forward.interfaces.firstIndex(of: dev)
        if command.isAdd {
            if existing != nil { throw fail("there is an existing interface entry that matches <interface dev='\(dev)'>") }
            forward.interfaces.insert(dev, at: command == .addFirst ? 0 : forward.interfaces.count)
        } else {
            guard let i = existing else { throw fail("couldn't find an interface entry matching <interface dev='\(dev)'>") }
            forward.interfaces.remove(at: i)
        }
    }

    private mutating func updatePortGroup(_ command: NetworkUpdateCommand, _ node: XMLElementNode,
                                          _ fail: (String) -> NetworkXMLError) throws {
        let pg = try NetworkXMLParser.parsePortGroup(node)
        let found = portGroups.firstIndex(where: { $0.name == pg.name })
        let foundDefault = portGroups.firstIndex(where: { $0.isDefault })
        if found == nil && (command == .modify || command == .delete) {
            throw fail("couldn't find a portgroup entry matching <portgroup name='\(pg.name)'>")
        }
        if found != nil && command.isAdd {
            throw fail("there is an existing portgroup entry that matches <portgroup name='\(pg.name)'>")
        }
        if command != .delete && pg.isDefault, let d = foundDefault, d != found {
            throw fail("a different portgroup entry is already set as the default; only one default is allowed")
        }
        switch command {
        case .modify: if let i = found { portGroups[i] = pg }
        case .delete: if let i = found { portGroups.remove(at: i) }
        case .add, .addFirst, .addLast: portGroups.insert(pg, at: command == .addFirst ? 0 : portGroups.count)
        }
    }

    private mutating func updateDNSHost(_ command: NetworkUpdateCommand, _ node: XMLElementNode,
                                        _ fail: (String) -> NetworkXMLError) throws {
        if command == .modify { throw fail("DNS HOST records cannot be modified, only added or deleted") }
        let host = try NetworkXMLParser.parseDNSHost(node, partial: !command.isAdd)
        let matches = dns.hosts.indices.filter { i in
            let h = dns.hosts[i]
            if host.ip != nil && h.ip == host.ip { return true }
            if !command.isAdd && host.hostnames.contains(where: { h.hostnames.contains($0) }) { return true }
            return false
        }
        if command.isAdd {
            if !matches.isEmpty { throw fail("there is already at least one DNS HOST record with a matching field") }
            dns.hosts.insert(host, at: command == .addFirst ? 0 : dns.hosts.count)
        } else {
            guard let i = matches.first else { throw fail("couldn't locate a matching DNS HOST record") }
            if matches.count > 1 { throw fail("multiple matching DNS HOST records were found") }
            dns.hosts.remove(at: i)
        }
    }

    private mutating func updateDNSTxt(_ command: NetworkUpdateCommand, _ node: XMLElementNode,
                                       _ fail: (String) -> NetworkXMLError) throws {
        if command == .modify { throw fail("DNS TXT records cannot be modified, only added or deleted") }
        let txt = try NetworkXMLParser.parseTxt(node, partial: !command.isAdd)
        let found = dns.txts.firstIndex(where: { $0.name == txt.name })
        if command.isAdd {
            if found != nil { throw fail("there is already a DNS TXT record with name '\(txt.name)'") }
            dns.txts.insert(txt, at: command == .addFirst ? 0 : dns.txts.count)
        } else {
            guard let i = found else { throw fail("couldn't locate a matching DNS TXT record") }
            dns.txts.remove(at: i)
        }
    }

    private mutating func updateDNSSrv(_ command: NetworkUpdateCommand, _ node: XMLElementNode,
                                       _ fail: (String) -> NetworkXMLError) throws {
        if command == .modify { throw fail("DNS SRV records cannot be modified, only added or deleted") }
        let srv = try NetworkXMLParser.parseSrv(node, partial: !command.isAdd)
        let matches = dns.srvs.indices.filter { i in
            let s = dns.srvs[i]
            return (srv.domain == nil || srv.domain == s.domain) && (srv.service == nil || srv.service == s.service) &&
                (srv.protocol == nil || srv.protocol == s.protocol) && (srv.target == nil || srv.target == s.target)
        }
        if command.isAdd {
            if !matches.isEmpty { throw fail("there is already at least one DNS SRV record matching all specified fields") }
            dns.srvs.insert(srv, at: command == .addFirst ? 0 : dns.srvs.count)
        } else {
            guard let i = matches.first else { throw fail("couldn't locate a matching DNS SRV record") }
            if matches.count > 1 { throw fail("multiple DNS SRV records matching all specified fields were found") }
            dns.srvs.remove(at: i)
        }
    }
}
