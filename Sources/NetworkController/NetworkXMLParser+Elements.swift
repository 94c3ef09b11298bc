import TapestryModel
/// Parsers for the sub-elements of `<network>` that `net-update` also reads on their own
/// (`<ip>`, `<dhcp>` range/host, `<dns>` host/srv/txt, `<forward>`).
extension NetworkXMLParser {
    // MARK: - ip and dhcp

    static func parseIP(_ e: XMLElementNode, network: String) throws -> IPDefinition {
        guard let addrText = e.attribute("address") else {
            throw NetworkXMLError.invalid("<ip>", "missing address attribute")
        }
        let here = "<ip address='\(addrText)'>"
        guard let address = IPAddress(addrText) else {
            throw NetworkXMLError.invalid(here, "not an IP address")
        }
        var ip = IPDefinition(address: address)
        ip.family = e.attribute("family")
        var netmaskText: String?
        if let nm = e.attribute("netmask") {
            netmaskText = nm
            guard let mask = IPAddress(nm) else {
                throw NetworkXMLError.invalid("<ip netmask='\(nm)'>", "not a netmask")
            }
            ip.netmask = mask
        }
        if let p = e.attribute("prefix") {
            guard let prefix = UInt(p) else {
                throw NetworkXMLError.invalid("<ip prefix='\(p)'>", "prefix is not a number")
            }
            ip.prefix = prefix
        }
        if let ptr = e.attribute("localPtr") {
            ip.localPTR = try yesNo(ptr, at: "<ip localPtr='\(ptr)'>")
        }
        switch ip.family {
        case nil, "ipv4"?:
            guard address.family == .ipv4 else {
                throw NetworkXMLError.invalid(here, "\(ip.family ?? "no") family specified for a non-IPv4 address")
            }
            if let nm = netmaskText, let mask = ip.netmask {
                guard mask.family == .ipv4, mask.netmaskPrefix != nil else {
                    throw NetworkXMLError.invalid("<ip netmask='\(nm)'>", "not a valid IPv4 netmask")
                }
                if let p = ip.prefix, p > 0 {
                    throw NetworkXMLError.invalid(here, "cannot have both a prefix and a netmask")
                }
            } else if let p = ip.prefix, p > 32 {
                throw NetworkXMLError.invalid("<ip prefix='\(p)'>", "IPv4 prefix out of range 0-32")
            }
        case "ipv6"?:
            guard address.family == .ipv6 else {
                throw NetworkXMLError.invalid(here, "family 'ipv6' specified for a non-IPv6 address")
            }
            if netmaskText != nil {
                throw NetworkXMLError.invalid(here, "netmask not allowed for an IPv6 address")
            }
            if let p = ip.prefix, p > 128 {
                throw NetworkXMLError.invalid("<ip prefix='\(p)'>", "IPv6 prefix out of range 0-128")
            }
        case let other?:
            throw NetworkXMLError.invalid("<ip family='\(other)'>", "unknown family")
        }
        if let dhcp = e.element(named: "dhcp") {
            for r in dhcp.elements(named: "range") {
                ip.dhcpRanges.append(try parseDHCPRange(r, in: ip))
            }
            for h in dhcp.elements(named: "host") {
                let host = try parseDHCPHost(h, in: ip, partial: false)
                if let mac = host.mac.flatMap(MACAddress.init),
                   ip.dhcpHosts.contains(where: { $0.mac.flatMap(MACAddress.init) == mac }) {
                    throw NetworkXMLError.invalid("<host mac='\(host.mac ?? "")'>", "duplicate DHCP host MAC address")
                }
                if let addr = host.ip, ip.dhcpHosts.contains(where: { $0.ip == addr }) {
                    throw NetworkXMLError.invalid("<host ip='\(addr)'>", "duplicate DHCP host IP address")
                }
                ip.dhcpHosts.append(host)
            }
            if let bootp = dhcp.element(named: "bootp"), address.family == .ipv4 {
                guard let file = bootp.attribute("file") else {
                    throw NetworkXMLError.invalid("<bootp>", "missing file attribute")
                }
                var b = Bootp(file: file)
                if let server = bootp.attribute("server") {
                    guard let s = IPAddress(server) else {
                        throw NetworkXMLError.invalid("<bootp server='\(server)'>", "not an IP address")
                    }
                    b.server = s
                }
                ip.bootp = b
            }
        }
        if let tftp = e.element(named: "tftp") {
            guard address.family == .ipv4 else {
                throw NetworkXMLError.invalid("<tftp>", "TFTP is only supported on an IPv4 <ip>")
            }
            ip.tftpRoot = tftp.attribute("root")
        }
        return ip
    }

    static func parseLease(_ e: XMLElementNode) throws -> DHCPLease? {
        guard let expiryText = e.attribute("expiry") else { return nil }
        guard let expiry = UInt64(expiryText) else {
            throw NetworkXMLError.invalid("<lease expiry='\(expiryText)'>", "not a number")
        }
        var unit = DHCPLease.Unit.minutes
        if let u = e.attribute("unit") {
            guard let parsed = DHCPLease.Unit(rawValue: u) else {
                throw NetworkXMLError.invalid("<lease unit='\(u)'>", "expected seconds, minutes or hours")
            }
            unit = parsed
        }
        if expiry > 0 && ((unit == .seconds && expiry < 120) || (unit == .minutes && expiry < 2)) {
            throw NetworkXMLError.invalid("<lease expiry='\(expiryText)'>", "the minimum lease time is 2 minutes")
        }
        return DHCPLease(expiry: expiry, unit: unit)
    }

    static func parseDHCPRange(_ e: XMLElementNode, in ip: IPDefinition) throws -> DHCPRange {
        guard let s = e.attribute("start") else {
            throw NetworkXMLError.invalid("<range>", "missing start attribute")
        }
        guard let en = e.attribute("end") else {
            throw NetworkXMLError.invalid("<range start='\(s)'>", "missing end attribute")
        }
        let here = "<range start='\(s)' end='\(en)'>"
        guard let start = IPAddress(s) else { throw NetworkXMLError.invalid(here, "start is not an IP address") }
        guard let end = IPAddress(en) else { throw NetworkXMLError.invalid(here, "end is not an IP address") }
        guard start.family == end.family else {
            throw NetworkXMLError.invalid(here, "start and end are of different address families")
        }
        let prefix = ip.effectivePrefix
        guard start.family == ip.address.family,
              ip.address.contains(start, prefix: prefix), ip.address.contains(end, prefix: prefix) else {
            throw NetworkXMLError.invalid(here, "range is not within network \(ip.networkAddress)/\(prefix)")
        }
        guard start <= end else {
            throw NetworkXMLError.invalid(here, "start is after end")
        }
        var range = DHCPRange(start: start, end: end)
        if let lease = e.element(named: "lease") {
            range.lease = try parseLease(lease)
        }
        return range
    }

    static func parseDHCPHost(_ e: XMLElementNode, in ip: IPDefinition, partial: Bool) throws -> DHCPHost {
        var host = DHCPHost()
        let v6 = ip.address.family == .ipv6
        if let mac = e.attribute("mac") {
            let here = "<host mac='\(mac)'>"
            if v6 { throw NetworkXMLError.invalid(here, "a MAC address is not allowed in an IPv6 static host") }
            guard let parsed = MACAddress(mac) else { throw NetworkXMLError.invalid(here, "not a MAC address") }
            guard !parsed.isMulticast else { throw NetworkXMLError.invalid(here, "expected a unicast MAC address") }
            host.mac = mac
        }
        if let id = e.attribute("id") {
            if let bad = id.first(where: { !($0.isHexDigit || $0 == ":") }) {
                throw NetworkXMLError.invalid("<host id='\(id)'>", "invalid character '\(bad)' in id")
            }
            host.id = id
        }
        if let name = e.attribute("name") {
            guard let first = name.unicodeScalars.first, first.isASCII,
                  first.properties.isAlphabetic || ("0"..."9").contains(first) else {
                throw NetworkXMLError.invalid("<host name='\(name)'>", "host name must start with a letter or digit")
            }
            host.name = name
        }
        if let ipText = e.attribute("ip") {
            guard let addr = IPAddress(ipText) else {
                throw NetworkXMLError.invalid("<host ip='\(ipText)'>", "not an IP address")
            }
            host.ip = addr
        }
        let here = "<host\(host.mac.map { " mac='\($0)'" } ?? "")\(host.name.map { " name='\($0)'" } ?? "")>"
        if partial {
            if host.mac == nil && host.name == nil && host.ip == nil {
                throw NetworkXMLError.invalid("<host>", "at least one of name, mac or ip is required")
            }
        } else {
            if v6 {
                if host.id == nil && host.name == nil {
                    throw NetworkXMLError.invalid(here, "an IPv6 static host needs an id or name attribute")
                }
            } else if host.mac == nil && host.name == nil {
                throw NetworkXMLError.invalid(here, "an IPv4 static host needs a mac or name attribute")
            }
            guard let addr = host.ip else {
                throw NetworkXMLError.invalid(here, "missing ip attribute")
            }
            guard addr.family == ip.address.family else {
                throw NetworkXMLError.invalid("<host ip='\(addr)'>", "address family does not match the <ip> element")
            }
        }
        if let lease = e.element(named: "lease") {
            host.lease = try parseLease(lease)
        }
        return host
    }

    // MARK: - dns

    static func parseDNS(_ e: XMLElementNode, network: String) throws -> DNS {
        var dns = DNS()
        if let en = e.attribute("enable") { dns.enable = try yesNo(en, at: "<dns enable='\(en)'>") }
        if let fpn = e.attribute("forwardPlainNames") {
            dns.forwardPlainNames = try yesNo(fpn, at: "<dns forwardPlainNames='\(fpn)'>")
        }
        for f in e.elements(named: "forwarder") {
            var fwd = DNSForwarder(domain: f.attribute("domain"))
            if let a = f.attribute("addr") {
                guard let addr = IPAddress(a) else {
                    throw NetworkXMLError.invalid("<forwarder addr='\(a)'>", "not an IP address")
                }
                fwd.address = addr
            }
            if fwd.domain == nil && fwd.address == nil {
                throw NetworkXMLError.invalid("<forwarder>", "needs at least one of addr or domain")
            }
            dns.forwarders.append(fwd)
        }
        for h in e.elements(named: "host") { dns.hosts.append(try parseDNSHost(h, partial: false)) }
        for s in e.elements(named: "srv") { dns.srvs.append(try parseSrv(s, partial: false)) }
        for t in e.elements(named: "txt") { dns.txts.append(try parseTxt(t, partial: false)) }
        if dns.enable == false && !(dns.forwarders.isEmpty && dns.hosts.isEmpty && dns.srvs.isEmpty && dns.txts.isEmpty) {
            throw NetworkXMLError.invalid("<dns enable='no'>", "extra data in disabled DNS of network '\(network)'")
        }
        return dns
    }

    static func parseDNSHost(_ e: XMLElementNode, partial: Bool) throws -> DNSHost {
        let names = e.elements(named: "hostname").map { $0.text }
        let ipText = e.attribute("ip")
        let here = "<host\(ipText.map { " ip='\($0)'" } ?? "")>"
        if names.contains(where: { $0.isEmpty }) || (names.isEmpty && !partial) {
            throw NetworkXMLError.invalid(here, "missing <hostname> in DNS host record")
        }
        var ip: IPAddress?
        if let t = ipText {
            guard let addr = IPAddress(t) else { throw NetworkXMLError.invalid(here, "not an IP address") }
            ip = addr
        } else {
            if !partial { throw NetworkXMLError.invalid(here, "missing ip attribute in DNS host record") }
            if names.isEmpty { throw NetworkXMLError.invalid(here, "DNS host record needs an ip or a hostname") }
        }
        return DNSHost(ip: ip, hostnames: names)
    }

    static func parseSrv(_ e: XMLElementNode, partial: Bool) throws -> DNSSrv {
        let serviceChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/*")
        let protocolChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+/")
        var srv = DNSSrv(service: e.attribute("service"), protocol: e.attribute("protocol"))
        if let s = srv.service {
            let here = "<srv service='\(s)'>"
            if s.utf8.count > 15 { throw NetworkXMLError.invalid(here, "service is too long, limit is 15 bytes") }
            if !s.allSatisfy({ serviceChars.contains($0) }) { throw NetworkXMLError.invalid(here, "invalid character in service") }
        } else if !partial {
            throw NetworkXMLError.invalid("<srv>", "missing service attribute")
        }
        if let p = srv.protocol {
            if !p.allSatisfy({ protocolChars.contains($0) }) {
                throw NetworkXMLError.invalid("<srv protocol='\(p)'>", "invalid character in protocol")
            }
        } else if !partial {
            throw NetworkXMLError.invalid("<srv service='\(srv.service ?? "")'>", "missing protocol attribute")
        }
        srv.domain = e.attribute("domain")
        srv.target = e.attribute("target")
        let here = "<srv service='\(srv.service ?? "")'>"
        func number(_ attr: String, max: UInt32, min: UInt32 = 0) throws -> UInt32? {
            guard let text = e.attribute(attr) else { return nil }
            guard srv.target != nil else {
                throw NetworkXMLError.invalid(here, "\(attr) not permitted without target")
            }
            guard let v = UInt32(text), v >= min, v <= max else {
                throw NetworkXMLError.invalid("<srv \(attr)='\(text)'>", "invalid \(attr)")
            }
            return v
        }
        srv.port = try number("port", max: 65535, min: 1)
        srv.priority = try number("priority", max: 65535)
        srv.weight = try number("weight", max: 65535)
        return srv
    }

    static func parseTxt(_ e: XMLElementNode, partial: Bool) throws -> DNSTxt {
        guard let name = e.attribute("name") else {
            throw NetworkXMLError.invalid("<txt>", "missing name attribute")
        }
        if name.contains(" ") || name.contains(",") {
            throw NetworkXMLError.invalid("<txt name='\(name)'>", "prohibited character in name")
        }
        let value = e.attribute("value")
        if value == nil && !partial {
            throw NetworkXMLError.invalid("<txt name='\(name)'>", "missing value attribute")
        }
        return DNSTxt(name: name, value: value)
    }

    // MARK: - forward

    static func parseForward(_ e: XMLElementNode, network: String) throws -> Forward {
        var fwd = Forward()
        if let mode = e.attribute("mode") {
            guard let m = ForwardMode(rawValue: mode) else {
                throw NetworkXMLError.invalid("<forward mode='\(mode)'>", "unknown forward mode")
            }
            fwd.mode = m
        } else {
            fwd.mode = .nat
        }
        let here = "<forward mode='\(fwd.mode.rawValue)'>"
        fwd.managed = e.attribute("managed")?.lowercased() == "yes"
        if let driver = e.element(named: "driver")?.attribute("name") {
            guard driver == "kvm" || driver == "vfio" else {
                throw NetworkXMLError.invalid("<driver name='\(driver)'>", "unknown forward driver name")
            }
            fwd.driverName = driver
        }
        let interfaces = e.elements(named: "interface")
        let addresses = e.elements(named: "address")
        let pfs = e.elements(named: "pf")
        let nats = e.elements(named: "nat")
        if nats.count > 1 { throw NetworkXMLError.invalid(here, "only one <nat> element is allowed") }
        if let nat = nats.first {
            guard fwd.mode == .nat else {
                throw NetworkXMLError.invalid("<nat>", "only allowed when the forward mode is 'nat'")
            }
            fwd.nat = try parseNAT(nat)
        }
        let dev = e.attribute("dev")
        if dev != nil && (!addresses.isEmpty || !pfs.isEmpty) {
            throw NetworkXMLError.invalid(here, "the dev attribute cannot be used with <address> or <pf> sub-elements")
        }
        if !interfaces.isEmpty || dev != nil {
            if let d = dev { fwd.interfaces.append(d) }
            for (i, iface) in interfaces.enumerated() {
                guard let name = iface.attribute("dev") else {
                    throw NetworkXMLError.invalid("<interface>", "missing dev attribute")
                }
                if i == 0, let d = dev {
                    guard name == d else {
                        throw NetworkXMLError.invalid("<interface dev='\(name)'>", "<forward dev='\(d)'> must match the first interface")
                    }
                    continue
                }
                if fwd.interfaces.contains(name) {
                    throw NetworkXMLError.invalid("<interface dev='\(name)'>", "interface can only be listed once")
                }
                fwd.interfaces.append(name)
            }
        } else if !addresses.isEmpty {
            for a in addresses {
                guard let type = a.attribute("type") else {
                    throw NetworkXMLError.invalid("<address>", "missing type attribute")
                }
                guard type == "pci" else {
                    throw NetworkXMLError.invalid("<address type='\(type)'>", "unsupported address type")
                }
                func field(_ n: String) throws -> UInt32 {
                    let t = a.attribute(n) ?? "0"
                    let digits = t.hasPrefix("0x") || t.hasPrefix("0X") ? String(t.dropFirst(2)) : t
                    let radix = t.hasPrefix("0x") || t.hasPrefix("0X") ? 16 : 10
                    guard let v = UInt32(digits, radix: radix) else {
                        throw NetworkXMLError.invalid("<address \(n)='\(t)'>", "not a number")
                    }
                    return v
                }
                let pci = PCIAddress(domain: try field("domain"), bus: try field("bus"),
                                     slot: try field("slot"), function: try field("function"))
                if fwd.pciAddresses.contains(pci) {
                    throw NetworkXMLError.invalid("<address bus='\(a.attribute("bus") ?? "")' slot='\(a.attribute("slot") ?? "")' function='\(a.attribute("function") ?? "")'>",
                                                  "PCI device can only be listed once")
                }
                fwd.pciAddresses.append(pci)
            }
        } else if pfs.count > 1 {
            throw NetworkXMLError.invalid(here, "only one <pf> element is allowed")
        } else if let pf = pfs.first {
            guard let d = pf.attribute("dev") else {
                throw NetworkXMLError.invalid("<pf>", "missing dev attribute")
            }
            fwd.pf = d
        }
        return fwd
    }

    static func parseNAT(_ e: XMLElementNode) throws -> NAT {
        var nat = NAT()
        if let v6 = e.attribute("ipv6") { nat.ipv6 = try yesNo(v6, at: "<nat ipv6='\(v6)'>") }
        let addrs = e.elements(named: "address")
        if addrs.count > 1 { throw NetworkXMLError.invalid("<nat>", "only one <address> element is allowed") }
        if let a = addrs.first {
            guard let s = a.attribute("start") else { throw NetworkXMLError.invalid("<nat><address>", "missing start attribute") }
            guard let en = a.attribute("end") else { throw NetworkXMLError.invalid("<nat><address start='\(s)'>", "missing end attribute") }
            let here = "<address start='\(s)' end='\(en)'>"
            guard let start = IPAddress(s), start.family == .ipv4 else { throw NetworkXMLError.invalid(here, "start is not an IPv4 address") }
            guard let end = IPAddress(en), end.family == .ipv4 else { throw NetworkXMLError.invalid(here, "end is not an IPv4 address") }
            guard start <= end else { throw NetworkXMLError.invalid(here, "start is after end") }
            nat.addressStart = start
            nat.addressEnd = end
        }
        let ports = e.elements(named: "port")
        if ports.count > 1 { throw NetworkXMLError.invalid("<nat>", "only one <port> element is allowed") }
        if let p = ports.first {
            let s = p.attribute("start") ?? ""
            let en = p.attribute("end") ?? ""
            guard let start = UInt16(s) else {
                throw NetworkXMLError.invalid("<port start='\(s)'>", "missing or invalid start port")
            }
            guard let end = UInt16(en), end >= start else {
                throw NetworkXMLError.invalid("<port start='\(s)' end='\(en)'>", "missing or invalid end port")
            }
            nat.portStart = start
            nat.portEnd = end
        }
        return nat
    }
}
