/// Writes a `NetworkDefinition` as libvirt formats a network: element order of
/// `virNetworkDefFormatBuf`, 2-space indentation, single-quoted attributes in libvirt's order.
/// Raw subtrees are written back as they were parsed.
public enum NetworkXMLWriter {
    /// The XML text of `def`, ending with a newline.
    public static func write(_ def: NetworkDefinition) -> String {
        var w = XMLLineWriter()
        var rootAttrs = ""
        if !def.dnsmasqOptions.isEmpty {
            rootAttrs += " xmlns:dnsmasq='\(NetworkDefinition.dnsmasqNamespace)'"
        }
        if def.ipv6WithoutGateway { rootAttrs += " ipv6='yes'" }
        if let t = def.trustGuestRxFilters { rootAttrs += " trustGuestRxFilters='\(yesNo(t))'" }
        w.open("<network\(rootAttrs)>")
        w.line("<name>\(escape(def.name))</name>")
        if let uuid = def.uuid { w.line("<uuid>\(uuid)</uuid>") }
        if let title = def.title { w.line("<title>\(escape(title))</title>") }
        if let d = def.description { w.line("<description>\(escape(d))</description>") }
        if let m = def.metadata { w.raw(m, quote: "\"") }
        writeForward(def.forward, into: &w)
        writeBridge(def, into: &w)
        if let mtu = def.mtu { w.line("<mtu size='\(mtu)'/>") }
        if let mac = def.mac { w.line("<mac address='\(mac)'/>") }
        if let domain = def.domain {
            var s = "<domain name='\(escape(domain.name))'"
            if let lo = domain.localOnly { s += " localOnly='\(yesNo(lo))'" }
            w.line(s + "/>")
        }
        writeDNS(def.dns, into: &w)
        if let v = def.vlan { w.raw(v) }
        if let b = def.bandwidth { w.raw(b) }
        if let iso = def.portIsolated { w.line("<port isolated='\(yesNo(iso))'/>") }
        for ip in def.ips { writeIP(ip, into: &w) }
        for r in def.routes { w.line(routeLine(r)) }
        if let vp = def.virtualPort { w.raw(vp) }
        for pg in def.portGroups { w.raw(pg.element) }
        for u in def.unknownElements { w.raw(u) }
        if !def.dnsmasqOptions.isEmpty {
            w.open("<dnsmasq:options>")
            for o in def.dnsmasqOptions { w.line("<dnsmasq:option value='\(escape(o))'/>") }
            w.close("</dnsmasq:options>")
        }
        w.close("</network>")
        return w.text
    }

    static func writeForward(_ f: Forward, into w: inout XMLLineWriter) {
        guard f.mode != .isolated else { return }
        var s = "<forward"
        if let dev = f.dev { s += " dev='\(escape(dev))'" }
        s += " mode='\(f.mode.rawValue)'"
        if f.mode == .hostdev { s += f.managed ? " managed='yes'" : " managed='no'" }
        let natHasContent = f.mode == .nat && f.nat.map {
            $0.addressStart != nil || $0.portStart != nil || $0.ipv6 != nil
        } ?? false
        let short = f.interfaces.isEmpty && f.pciAddresses.isEmpty && f.pf == nil && f.driverName == nil && !natHasContent
        if short {
            w.line(s + "/>")
            return
        }
        w.open(s + ">")
        if let d = f.driverName { w.line("<driver name='\(d)'/>") }
        if natHasContent, let nat = f.nat {
            var n = "<nat"
            if let v6 = nat.ipv6 { n += " ipv6='\(yesNo(v6))'" }
            if nat.addressStart == nil && nat.portStart == nil {
                w.line(n + "/>")
            } else {
                w.open(n + ">")
                if let s = nat.addressStart {
                    w.line("<address start='\(s)'\(nat.addressEnd.map { " end='\($0)'" } ?? "")/>")
                }
                if let ps = nat.portStart {
                    w.line("<port start='\(ps)'\(nat.portEnd.map { " end='\($0)'" } ?? "")/>")
                }
                w.close("</nat>")
            }
        }
        if let pf = f.pf { w.line("<pf dev='\(escape(pf))'/>") }
        for i in f.interfaces { w.line("<interface dev='\(escape(i))'/>") }
        for a in f.pciAddresses {
            w.line("<address type='pci' domain='0x\(hex(a.domain, 4))' bus='0x\(hex(a.bus, 2))' slot='0x\(hex(a.slot, 2))' function='0x\(String(a.function, radix: 16))'/>")
        }
        w.close("</forward>")
    }

    static func writeBridge(_ def: NetworkDefinition, into w: inout XMLLineWriter) {
        let b = def.bridge
        let hasBridge = def.forward.mode.hasOwnBridge
        guard hasBridge || b.name != nil || b.macTableManager != nil else { return }
        var s = "<bridge"
        if let n = b.name { s += " name='\(escape(n))'" }
        if let z = b.zone { s += " zone='\(escape(z))'" }
        if hasBridge { s += " stp='\((b.stp ?? true) ? "on" : "off")' delay='\(b.delay ?? 0)'" }
        if let m = b.macTableManager { s += " macTableManager='\(m)'" }
        w.line(s + "/>")
    }

    static func writeDNS(_ dns: DNS, into w: inout XMLLineWriter) {
        let hasChildren = !(dns.forwarders.isEmpty && dns.hosts.isEmpty && dns.srvs.isEmpty && dns.txts.isEmpty)
        guard dns.enable != nil || dns.forwardPlainNames != nil || hasChildren else { return }
        var s = "<dns"
        if let e = dns.enable { s += " enable='\(yesNo(e))'" }
        if let f = dns.forwardPlainNames { s += " forwardPlainNames='\(yesNo(f))'" }
        guard hasChildren else {
            w.line(s + "/>")
            return
        }
        w.open(s + ">")
        for f in dns.forwarders {
            var l = "<forwarder"
            if let d = f.domain { l += " domain='\(escape(d))'" }
            if let a = f.address { l += " addr='\(a)'" }
            w.line(l + "/>")
        }
        for t in dns.txts {
            w.line("<txt name='\(escape(t.name))' value='\(escape(t.value ?? ""))'/>")
        }
        for srv in dns.srvs {
            guard let service = srv.service, let proto = srv.protocol else { continue }
            var l = "<srv service='\(escape(service))' protocol='\(escape(proto))'"
            if let d = srv.domain { l += " domain='\(escape(d))'" }
            if let t = srv.target { l += " target='\(escape(t))'" }
            if let p = srv.port, p > 0 { l += " port='\(p)'" }
            if let p = srv.priority, p > 0 { l += " priority='\(p)'" }
            if let p = srv.weight, p > 0 { l += " weight='\(p)'" }
            w.line(l + "/>")
        }
        for h in dns.hosts {
            w.open("<host ip='\(h.ip.map { "\($0)" } ?? "")'>")
            for n in h.hostnames { w.line("<hostname>\(escape(n))</hostname>") }
            w.close("</host>")
        }
        w.close("</dns>")
    }

    static func writeIP(_ ip: IPDefinition, into w: inout XMLLineWriter) {
        var s = "<ip"
        if let f = ip.family { s += " family='\(escape(f))'" }
        s += " address='\(ip.address)'"
        if let m = ip.netmask { s += " netmask='\(m)'" }
        if let p = ip.prefix, p > 0 { s += " prefix='\(p)'" }
        if let l = ip.localPTR { s += " localPtr='\(yesNo(l))'" }
        w.open(s + ">")
        if let root = ip.tftpRoot { w.line("<tftp root='\(escape(root))'/>") }
        if ip.hasDHCP {
            w.open("<dhcp>")
            for r in ip.dhcpRanges {
                let head = "<range start='\(r.start)' end='\(r.end)'"
                writeWithLease(head, r.lease, closing: "</range>", into: &w)
            }
            for h in ip.dhcpHosts {
                var head = "<host"
                if let m = h.mac { head += " mac='\(escape(m))'" }
                if let i = h.id { head += " id='\(escape(i))'" }
                if let n = h.name { head += " name='\(escape(n))'" }
                if let a = h.ip { head += " ip='\(a)'" }
                writeWithLease(head, h.lease, closing: "</host>", into: &w)
            }
            if let b = ip.bootp {
                w.line("<bootp file='\(escape(b.file))'\(b.server.map { " server='\($0)'" } ?? "")/>")
            }
            w.close("</dhcp>")
        }
        w.close("</ip>")
    }

    static func writeWithLease(_ head: String, _ lease: DHCPLease?, closing: String, into w: inout XMLLineWriter) {
        guard let lease else {
            w.line(head + "/>")
            return
        }
        w.open(head + ">")
        if lease.expiry == 0 {
            w.line("<lease expiry='0'/>")
        } else {
            w.line("<lease expiry='\(lease.expiry)' unit='\(lease.unit.rawValue)'/>")
        }
        w.close(closing)
    }

    static func routeLine(_ r: Route) -> String {
        var s = "<route"
        if let f = r.family { s += " family='\(escape(f))'" }
        s += " address='\(r.address)'"
        if let m = r.netmask { s += " netmask='\(m)'" }
        if let p = r.prefix { s += " prefix='\(p)'" }
        s += " gateway='\(r.gateway)'"
        if let m = r.metric { s += " metric='\(m)'" }
        return s + "/>"
    }

    static func yesNo(_ b: Bool) -> String { b ? "yes" : "no" }

    static func hex(_ v: UInt32, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// Escapes `<`, `>`, `&`, `'` and `"` as libvirt's `virBufferEscapeString` does.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Accumulates indented lines (2 spaces per level).
struct XMLLineWriter {
    var text = ""
    var depth = 0

    mutating func line(_ s: String) {
        text += String(repeating: "  ", count: depth) + s + "\n"
    }

    mutating func open(_ s: String) {
        line(s)
        depth += 1
    }

    mutating func close(_ s: String) {
        depth -= 1
        line(s)
    }

    /// Writes a raw subtree: attributes in document order quoted with `quote`, element
    /// children indented, text-only elements on one line, whitespace-only text dropped.
    mutating func raw(_ e: XMLElementNode, quote: Character = "'") {
        var head = "<\(e.name)"
        for a in e.attributes {
            head += " \(a.name)=\(quote)\(NetworkXMLWriter.escapeAttribute(a.value, quote: quote))\(quote)"
        }
        let elements = e.elements
        let text = e.text
        if elements.isEmpty {
            if text.isEmpty {
                line(head + "/>")
            } else {
                line(head + ">" + NetworkXMLWriter.escapeText(text) + "</\(e.name)>")
            }
            return
        }
        open(head + ">")
        for child in e.children {
            switch child {
            case .element(let c): raw(c, quote: quote)
            case .text(let t):
                let trimmed = t.trimmingWhitespace()
                if !trimmed.isEmpty { line(NetworkXMLWriter.escapeText(trimmed)) }
            }
        }
        close("</\(e.name)>")
    }
}

extension NetworkXMLWriter {
    static func escapeAttribute(_ s: String, quote: Character) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "'" where quote == "'": out += "&apos;"
            case "\"" where quote == "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeText(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default: out.append(c)
            }
        }
        return out
    }
}
