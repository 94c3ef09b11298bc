import TapestryModel
/// Reads libvirt `<network>` XML into a `NetworkDefinition`, validating it the way
/// libvirt's `virNetworkDefParseXML` does: every input libvirt refuses is refused here with
/// a `NetworkXMLError` naming the element and the cause. Nothing is generated: a missing
/// uuid, MAC or bridge name stays nil until `fillingDefaults` is called.
public enum NetworkXMLParser {
    /// Parses a complete `<network>` document.
    public static func parse(_ xml: String) throws -> NetworkDefinition {
        let root = try XMLTreeBuilder.parse(xml)
        return try parse(element: root)
    }

    /// Parses an already-built `<network>` element tree.
    public static func parse(element root: XMLElementNode) throws -> NetworkDefinition {
        guard root.name == "network" else {
            throw NetworkXMLError.malformed("root element is <\(root.name)>, expected <network>")
        }
        let nameText = root.element(named: "name")?.text ?? ""
        guard !nameText.isEmpty else {
            throw NetworkXMLError.invalid("<network>", "missing <name>")
        }
        guard !nameText.contains("/") else {
            throw NetworkXMLError.invalid("<name>\(nameText)</name>", "name must not contain '/'")
        }
        var def = NetworkDefinition(name: nameText)
        let net = nameText

        if let uuidElement = root.element(named: "uuid") {
            let text = uuidElement.text
            guard let uuid = UUIDText.canonical(text) else {
                throw NetworkXMLError.invalid("<uuid>\(text)</uuid>", "malformed UUID")
            }
            def.uuid = uuid
        }
        if let title = root.element(named: "title")?.text, !title.isEmpty {
            guard !title.contains("\n") else {
                throw NetworkXMLError.invalid("<title>", "title must not contain newlines")
            }
            def.title = title
        }
        if let description = root.element(named: "description")?.text, !description.isEmpty {
            def.description = description
        }
        if let v6 = root.attribute("ipv6") {
            def.ipv6WithoutGateway = try yesNo(v6, at: "<network ipv6='\(v6)'>")
        }
        if let trust = root.attribute("trustGuestRxFilters") {
            def.trustGuestRxFilters = try yesNo(trust, at: "<network trustGuestRxFilters='\(trust)'>")
        }
        if let domain = root.element(named: "domain") {
            if let name = domain.attribute("name") {
                var d = Domain(name: name)
                if let local = domain.attribute("localOnly") {
                    d.localOnly = try yesNo(local, at: "<domain localOnly='\(local)'>")
                }
                def.domain = d
            }
        }
        def.bandwidth = root.element(named: "bandwidth")
        def.vlan = root.element(named: "vlan")
        if let port = root.element(named: "port"), let iso = port.attribute("isolated") {
            def.portIsolated = try yesNo(iso, at: "<port isolated='\(iso)'>")
        }
        if let bridge = root.element(named: "bridge") {
            def.bridge = try parseBridge(bridge)
        }
        if let macText = root.element(named: "mac")?.attribute("address") {
            guard let mac = MACAddress(macText) else {
                throw NetworkXMLError.invalid("<mac address='\(macText)'>", "not a MAC address")
            }
            guard !mac.isMulticast else {
                throw NetworkXMLError.invalid("<mac address='\(macText)'>", "bridge MAC address must not be multicast")
            }
            def.mac = mac
        }
        if let size = root.element(named: "mtu")?.attribute("size") {
            guard let mtu = UInt32(size) else {
                throw NetworkXMLError.invalid("<mtu size='\(size)'>", "not a valid MTU")
            }
            def.mtu = mtu
        }
        if let dns = root.element(named: "dns") {
            def.dns = try parseDNS(dns, network: net)
        }
        if let vport = root.element(named: "virtualport") {
            guard vport.attribute("type") != nil else {
                throw NetworkXMLError.invalid("<virtualport>", "missing type attribute")
            }
            def.virtualPort = vport
        }
        for pg in root.elements(named: "portgroup") {
            def.portGroups.append(try parsePortGroup(pg))
        }
        for ip in root.elements(named: "ip") {
            def.ips.append(try parseIP(ip, network: net))
        }
        for route in root.elements(named: "route") {
            def.routes.append(try parseRoute(route))
        }
        try checkRouteGateways(def)
        if let forward = root.element(named: "forward") {
            def.forward = try parseForward(forward, network: net)
        }
        try checkForwardMode(def, rawBridge: root.element(named: "bridge"))
        def.metadata = root.element(named: "metadata")

        let dnsmasqPrefix = root.attributes.first(where: {
            $0.name.hasPrefix("xmlns:") && $0.value == NetworkDefinition.dnsmasqNamespace
        }).map { String($0.name.dropFirst("xmlns:".count)) }
        if let prefix = dnsmasqPrefix {
            for options in root.elements(named: "\(prefix):options") {
                for option in options.elements(named: "\(prefix):option") {
                    guard let value = option.attribute("value") else {
                        throw NetworkXMLError.invalid("<\(prefix):option>", "missing value attribute")
                    }
                    def.dnsmasqOptions.append(value)
                }
            }
        }
        let known: Set<String> = ["name", "uuid", "title", "description", "domain", "bandwidth", "vlan", "port",
                                  "bridge", "mac", "mtu", "dns", "virtualport", "portgroup", "ip", "route",
                                  "forward", "metadata"]
        for child in root.elements where !known.contains(child.name) {
            if let prefix = dnsmasqPrefix, child.name == "\(prefix):options" { continue }
            def.unknownElements.append(child)
        }
        return def
    }

    // MARK: - sections

    static func parseBridge(_ e: XMLElementNode) throws -> Bridge {
        var b = Bridge()
        b.name = e.attribute("name")
        b.zone = e.attribute("zone")
        if let stp = e.attribute("stp") {
            b.stp = stp != "off"
        }
        if let delay = e.attribute("delay") {
            guard let d = UInt(delay) else {
                throw NetworkXMLError.invalid("<bridge delay='\(delay)'>", "not a valid delay")
            }
            b.delay = d
        }
        if let mtm = e.attribute("macTableManager") {
            guard mtm == "kernel" || mtm == "libvirt" else {
                throw NetworkXMLError.invalid("<bridge macTableManager='\(mtm)'>", "expected 'kernel' or 'libvirt'")
            }
            b.macTableManager = mtm
        }
        return b
    }

    static func parsePortGroup(_ e: XMLElementNode) throws -> PortGroup {
        guard let name = e.attribute("name") else {
            throw NetworkXMLError.invalid("<portgroup>", "missing name attribute")
        }
        if let trust = e.attribute("trustGuestRxFilters") {
            _ = try yesNo(trust, at: "<portgroup name='\(name)' trustGuestRxFilters='\(trust)'>")
        }
        let isDefault = e.attribute("default")?.lowercased() == "yes"
        return PortGroup(name: name, isDefault: isDefault, element: e)
    }

    static func parseRoute(_ e: XMLElementNode) throws -> Route {
        let family = e.attribute("family")
        guard let addrText = e.attribute("address") else {
            throw NetworkXMLError.invalid("<route>", "missing address attribute")
        }
        guard let address = IPAddress(addrText) else {
            throw NetworkXMLError.invalid("<route address='\(addrText)'>", "not an IP address")
        }
        guard let gwText = e.attribute("gateway") else {
            throw NetworkXMLError.invalid("<route address='\(addrText)'>", "missing gateway attribute")
        }
        guard let gateway = IPAddress(gwText) else {
            throw NetworkXMLError.invalid("<route gateway='\(gwText)'>", "not an IP address")
        }
        let here = "<route address='\(addrText)'>"
        let expected: IPAddress.Family = family == "ipv6" ? .ipv6 : .ipv4
        if let f = family, f != "ipv4" && f != "ipv6" {
            throw NetworkXMLError.invalid(here, "unknown family '\(f)'")
        }
        guard address.family == expected, gateway.family == expected else {
            throw NetworkXMLError.invalid(here, "address and gateway must both be \(expected == .ipv4 ? "IPv4" : "IPv6")")
        }
        var r = Route(address: address, gateway: gateway)
        r.family = family
        if let nm = e.attribute("netmask") {
            guard let mask = IPAddress(nm), mask.family == .ipv4, mask.netmaskPrefix != nil, expected == .ipv4 else {
                throw NetworkXMLError.invalid("<route netmask='\(nm)'>", "not a valid IPv4 netmask")
            }
            r.netmask = mask
        }
        if let p = e.attribute("prefix") {
            guard let prefix = UInt(p), prefix <= (expected == .ipv4 ? 32 : 128) else {
                throw NetworkXMLError.invalid("<route prefix='\(p)'>", "prefix out of range")
            }
            guard r.netmask == nil else {
                throw NetworkXMLError.invalid(here, "route cannot have both netmask and prefix")
            }
            r.prefix = prefix
        }
        if let m = e.attribute("metric") {
            guard let metric = UInt(m), metric > 0 else {
                throw NetworkXMLError.invalid("<route metric='\(m)'>", "metric must be a positive integer")
            }
            r.metric = metric
        }
        if address.masked(prefix: r.effectivePrefix) != address {
            throw NetworkXMLError.invalid(here, "address is not the network address of \(address)/\(r.effectivePrefix)")
        }
        return r
    }

    static func checkRouteGateways(_ def: NetworkDefinition) throws {
        for route in def.routes {
            let reachable = def.ips.contains { ip in
                ip.address.family == route.gateway.family && ip.address.contains(route.gateway, prefix: ip.effectivePrefix)
            }
            if !reachable {
                throw NetworkXMLError.invalid("<route gateway='\(route.gateway)'>",
                                              "static route gateway is not reachable from network '\(def.name)'")
            }
        }
    }

    static func checkForwardMode(_ def: NetworkDefinition, rawBridge: XMLElementNode?) throws {
        let mode = def.forward.mode
        let here = "<forward mode='\(mode.rawValue)'>"
        switch mode {
        case .isolated:
            break
        case .nat, .route, .open:
            if def.ips.isEmpty {
                throw NetworkXMLError.invalid(here, "\(mode.rawValue) forwarding requested, but no IP address provided")
            }
            if def.forward.interfaces.count > 1 {
                throw NetworkXMLError.invalid(here, "multiple forwarding interfaces specified, only one is supported")
            }
            if mode == .open && !def.forward.interfaces.isEmpty {
                throw NetworkXMLError.invalid(here, "forward dev not allowed with forward mode 'open'")
            }
        case .private, .vepa, .passthrough, .hostdev, .bridge:
            if mode != .bridge {
                if def.bridge.name != nil {
                    throw NetworkXMLError.invalid(here, "bridge name not allowed in \(mode.rawValue) mode")
                }
                if def.bridge.macTableManager != nil {
                    throw NetworkXMLError.invalid(here, "bridge macTableManager not allowed in \(mode.rawValue) mode")
                }
            }
            if (def.bridge.delay ?? 0) != 0 || rawBridge?.attribute("stp") != nil || def.bridge.zone != nil {
                throw NetworkXMLError.invalid(here, "bridge delay/stp/zone options only allowed in route, nat, and isolated mode")
            }
            // libvirt refuses both; Tapestry takes one forward dev beside a bridge name as that
            // bridge's uplink (a system port while the network runs).
            if def.bridge.name != nil && (mode != .bridge || def.forward.interfaces.count > 1 || def.forward.pf != nil)
                && (!def.forward.interfaces.isEmpty || def.forward.pf != nil) {
                throw NetworkXMLError.invalid(here, mode == .bridge
                    ? "a bridge name takes at most one forward dev (its uplink), and no <pf>"
                    : "a bridge name and a forward dev cannot both be given")
            }
        }
        if def.mtu != nil && !mode.hasOwnBridge {
            throw NetworkXMLError.invalid("<mtu>", "mtu size only allowed in open, route, nat, and isolated mode, not in \(mode.rawValue)")
        }
    }

    // MARK: - helpers

    static func yesNo(_ value: String, at element: String) throws -> Bool {
        switch value {
        case "yes": return true
        case "no": return false
        default: throw NetworkXMLError.invalid(element, "expected 'yes' or 'no'")
        }
    }

    static func uint(_ value: String, at element: String, max: UInt64) throws -> UInt64 {
        guard let v = UInt64(value), v <= max else {
            throw NetworkXMLError.invalid(element, "not a number in range 0-\(max)")
        }
        return v
    }
}

/// RFC 4122 UUID text helpers: canonical lowercase form and random version 4 generation.
enum UUIDText {
    /// Returns the canonical lowercase 8-4-4-4-12 form of `text` (32 hex digits, dashes optional).
    static func canonical(_ text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        let hex = trimmed.filter { $0 != "-" }
        guard hex.count == 32, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        let lower = hex.lowercased()
        var out = ""
        for (i, c) in lower.enumerated() {
            if [8, 12, 16, 20].contains(i) { out.append("-") }
            out.append(c)
        }
        return out
    }

    /// A random version 4 UUID from `generator`.
    static func random<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        return canonical(hex) ?? hex
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
