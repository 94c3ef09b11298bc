import Foundation
import NetworkController
import TapestryModel
import Yams

/// Reads a topology file: YAML → `TopologyFile`, checking every value on its own (types, ranges,
/// names, unknown and duplicate keys). Cross-references are `TopologyValidator`'s job.
/// Every problem is collected and thrown together as a `TopologyError`.
public enum TopologyParser {
    /// Reads files referenced by the topology (libvirt XML), relative paths already resolved.
    public typealias FileLoader = @Sendable (String) throws -> String

    public static let defaultLoader: FileLoader = { path in try String(contentsOfFile: path, encoding: .utf8) }

    /// Parses and validates the file at `path`.
    public static func load(path: String, loader: @escaping FileLoader = defaultLoader) throws(TopologyError) -> TopologyFile {
        let text: String
        do { text = try loader(path) } catch {
            throw TopologyError([TopologyDiagnostic(SourcePosition(file: path, line: 1, column: 1), "could not read the file: \(error.localizedDescription)")])
        }
        return try parse(text, path: path, loader: loader)
    }

    /// Parses `text` (named `path` in messages) and validates it as a whole.
    public static func parse(_ text: String, path: String, loader: @escaping FileLoader = defaultLoader) throws(TopologyError) -> TopologyFile {
        let reader = YAMLReader(file: path)
        let start = SourcePosition(file: path, line: 1, column: 1)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw TopologyError([syntaxError(error, path: path)])
        }
        guard let root else { throw TopologyError([TopologyDiagnostic(start, "the file is empty")]) }
        var parser = Parser(reader: reader, path: path, loader: loader)
        let file = parser.topology(root)
        var sink = reader.sink
        if let file { TopologyValidator.validate(file, into: &sink) }
        guard sink.isEmpty, let file else { throw TopologyError(sink.diagnostics) }
        return file
    }

    private static func syntaxError(_ error: Error, path: String) -> TopologyDiagnostic {
        if let y = error as? YamlError {
            switch y {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let ctx = context.map { " \($0.text)" } ?? ""
                return TopologyDiagnostic(SourcePosition(file: path, line: mark.line, column: mark.column), "YAML syntax error: \(problem)\(ctx)")
            default: break
            }
        }
        return TopologyDiagnostic(SourcePosition(file: path, line: 1, column: 1), "YAML syntax error: \(error)")
    }

    /// A lab name: used in namespace names and a directory name.
    static func isValidLabName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && name.first != "-" && name.first != "."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}

private struct Parser {
    let reader: YAMLReader
    let path: String
    let loader: TopologyParser.FileLoader

    init(reader: YAMLReader, path: String, loader: @escaping TopologyParser.FileLoader) {
        self.reader = reader; self.path = path; self.loader = loader
    }

    mutating func topology(_ root: Node) -> TopologyFile? {
        guard let top = reader.mapping(root, "the topology", allowed: ["version", "name", "hosts", "bridges", "networks", "segments", "nodes"]) else {
            return nil
        }
        if let v = top["version"], let n = reader.integer(v, "version", 1...1_000), n != TopologyFile.formatVersion {
            reader.error(v, "unsupported version \(n) (this tapestry reads version \(TopologyFile.formatVersion))")
        }
        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var name = base
        if let n = top.string("name") {
            if TopologyParser.isValidLabName(n) { name = n } else {
                reader.error(top.position(of: "name"), "invalid lab name '\(n)': 1-32 letters, digits, '-', '_' or '.', not starting with '-' or '.'")
            }
        } else if !TopologyParser.isValidLabName(base) {
            name = "lab"
        }
        var file = TopologyFile(path: path, name: name)
        if let h = top["hosts"] { file.hosts = reader.namedEntries(h, "hosts").compactMap { host($0, lab: name) } }
        if file.hosts.isEmpty && top["hosts"] == nil {
            file.implicitHost = true
            file.hosts = [HostSpec(name: "local", position: top.position, access: .socket(nil))]
        }
        if let b = top["bridges"] { file.bridges = reader.namedEntries(b, "bridges").compactMap(bridge) }
        if let n = top["networks"] { file.networks = reader.namedEntries(n, "networks").compactMap(network) }
        if let s = top["segments"] { file.segments = reader.namedEntries(s, "segments").compactMap(segment) }
        if let n = top["nodes"] { file.nodes = reader.namedEntries(n, "nodes").compactMap(node) }
        return file
    }

    // MARK: - hosts

    func host(_ e: MappingView.Entry, lab: String) -> HostSpec? {
        let pos = reader.position(e.keyNode)
        if !TopologyParser.isValidLabName(e.key) {
            reader.error(pos, "invalid host name '\(e.key)': 1-32 letters, digits, '-', '_' or '.'")
        }
        var spec = HostSpec(name: e.key, position: pos, access: .lab(namespace: "\(lab)-\(e.key)"))
        if case .scalar = e.value, e.value.tagName == .null { return spec }  // `a:` with nothing: a lab host
        guard let m = reader.mapping(e.value, "host \(e.key)", allowed: ["socket", "connect", "namespace", "underlay", "forwarding"]) else { return spec }
        let socket = m.string("socket")
        let connect = m.string("connect")
        let ns = m.string("namespace")
        if [socket, connect, ns].compactMap({ $0 }).count > 1 {
            reader.error(m.position(of: ns != nil ? "namespace" : "connect"),
                         "host \(e.key): give one of socket (an existing daemon), connect (a daemon on another host) or namespace (a lab host)")
        }
        if let connect {
            // A daemon on another machine, reached through `ssh … tapestry proxy` (see `tapestry --connect`).
            if !connect.hasPrefix("ssh://") || connect.count <= "ssh://".count {
                reader.error(m.position(of: "connect"), "host \(e.key): connect must be an ssh:// URL, e.g. ssh://root@host2 or ssh://ops@host2:2222/run/tapestry/tapestryd.sock")
            }
            spec.access = .socket(connect)
        } else if let socket {
            if !socket.hasPrefix("/") { reader.error(m.position(of: "socket"), "host \(e.key): socket must be an absolute path") }
            spec.access = .socket(socket)
        } else if let ns {
            namespaceName(ns, m.position(of: "namespace"), "host \(e.key)")
            spec.access = .lab(namespace: ns)
        }
        if let text = m.string("underlay") {
            let p = m.position(of: "underlay")
            spec.underlayPosition = p
            if let u = UnderlayAddress.parse(text) {
                spec.underlay = u.network
                if let problem = UnderlayAddress.problem(u.network) {
                    reader.error(p, "host \(e.key): underlay \(text) is not a usable host address (\(problem))")
                } else if !u.hasPrefix && spec.access.isLab {
                    reader.error(p, "host \(e.key): a lab host's underlay needs a prefix length, e.g. \(text)/\(u.network.family == .ipv4 ? 24 : 64)")
                }
            } else {
                reader.error(p, "host \(e.key): invalid underlay address '\(text)' (expected e.g. 10.0.0.1/24 or fd00::1/64)")
            }
        }
        if let f = m.bool("forwarding") { spec.forwarding = f }
        return spec
    }

    func namespaceName(_ name: String, _ pos: SourcePosition, _ what: String) {
        do { try InterfaceName.validateNamespace(name) } catch { reader.error(pos, "\(what): \(error.message)") }
    }

    func interfaceName(_ name: String, _ pos: SourcePosition, _ what: String) -> Bool {
        do { try InterfaceName.validate(name, what: what) } catch {
            reader.error(pos, error.message)
            return false
        }
        return true
    }

    // MARK: - bridges and ports

    func bridge(_ e: MappingView.Entry) -> BridgeSpec? {
        let pos = reader.position(e.keyNode)
        _ = interfaceName(e.key, pos, "bridge name")
        var spec = BridgeSpec(name: e.key, position: pos)
        if case .scalar = e.value, e.value.tagName == .null { return spec }
        guard let m = reader.mapping(e.value, "bridge \(e.key)",
                                     allowed: ["host", "hosts", "mode", "mac-aging", "mac-table-size", "stp", "stp-priority", "ports", "static-macs"]) else { return nil }
        if m.has("host") && m.has("hosts") { reader.error(m.position(of: "hosts"), "bridge \(e.key): give host or hosts, not both") }
        if let h = m.string("host") { spec.hosts = [h]; spec.hostsPosition = m.position(of: "host") }
        if let hs = m.strings("hosts") { spec.hosts = hs.map(\.0); spec.hostsPosition = m.position(of: "hosts") }
        if let mode = m.string("mode") {
            if let v = BridgeMode(rawValue: mode) { spec.mode = v } else {
                reader.error(m.position(of: "mode"), "bridge \(e.key): invalid mode '\(mode)' (learning or hub)")
            }
        }
        if let a = m.int("mac-aging", 10...1_000_000) { spec.macAging = a }
        if let s = m.int("mac-table-size", 16...1_000_000) { spec.macTableSize = s }
        if let text = m.string("stp") {
            if let mode = STPMode(rawValue: text) { spec.stp = BridgeSTPConfig(mode: mode) } else if text != "off" {
                reader.error(m.position(of: "stp"), "bridge \(e.key): invalid stp '\(text)' (rstp, stp or off)")
            }
        }
        if let pr = m.int("stp-priority", 0...61440) {
            if pr % 4096 != 0 { reader.error(m.position(of: "stp-priority"), "bridge \(e.key): stp-priority \(pr) is not a multiple of 4096") }
            if spec.stp == nil { reader.error(m.position(of: "stp-priority"), "bridge \(e.key): stp-priority needs stp: rstp or stp") }
            spec.stp?.priority = pr
        }
        if let p = m["ports"] { spec.ports = reader.namedEntries(p, "ports of bridge \(e.key)").compactMap { port($0, owner: "bridge \(e.key)") } }
        if let list = m.list("static-macs") { spec.staticMACs = list.compactMap { staticMAC($0, bridge: e.key) } }
        return spec
    }

    static let portKeys = ["type", "host", "vlan", "trunk", "native", "native-mode", "isolated", "netns", "mtu", "mac", "address", "vxlan",
                           "peer", "policy"]

    func port(_ e: MappingView.Entry, owner: String) -> PortSpec? {
        let pos = reader.position(e.keyNode)
        let nameOK = interfaceName(e.key, pos, "port name")
        var config = PortConfig(name: e.key, type: .tap)
        var spec = PortSpec(name: e.key, position: pos, config: config)
        if case .scalar = e.value, e.value.tagName == .null { return spec }
        let what = "port \(e.key) of \(owner)"
        guard let m = reader.mapping(e.value, what, allowed: Self.portKeys) else { return nil }
        var ok = nameOK
        if let t = m.string("type") {
            if let v = PortType(rawValue: t) { config.type = v } else {
                reader.error(m.position(of: "type"), "\(what): invalid type '\(t)' (tap, internal, system, vxlan or patch)"); ok = false
            }
        }
        if let h = m.string("host") { spec.host = h; spec.hostPosition = m.position(of: "host") }
        if let v = m.int("vlan", 1...4094) { config.vlan = VLANID(v) }
        if let t = m["trunk"] {
            if let set = vlanSet(t, "\(what): trunk") { config.trunk = set } else { ok = false }
        }
        if let n = m.int("native", 1...4094) { config.native = VLANID(n) }
        if let nm = m.string("native-mode") {
            if let v = NativeMode(rawValue: nm) { config.nativeMode = v } else {
                reader.error(m.position(of: "native-mode"), "\(what): invalid native-mode '\(nm)' (untagged or tagged)"); ok = false
            }
        }
        if config.vlan != nil && (m.has("trunk") || m.has("native") || m.has("native-mode")) {
            reader.error(m.position(of: "vlan"), "\(what): vlan (an access port) cannot be combined with trunk, native or native-mode"); ok = false
        }
        if let i = m.bool("isolated") { config.isolated = i }
        if let ns = m.string("netns") {
            spec.netnsPosition = m.position(of: "netns")
            namespaceName(ns, m.position(of: "netns"), what)
            if config.type != .tap { reader.error(m.position(of: "netns"), "\(what): netns applies to tap ports only"); ok = false }
            config.netns = ns
        }
        if let mtu = m.int("mtu", 68...65521) {
            if config.type == .system || config.type == .vxlan || config.type == .patch {
                reader.error(m.position(of: "mtu"), "\(what): mtu does not apply to \(config.type.rawValue) ports"); ok = false
            }
            config.mtu = mtu
        }
        if let text = m.string("mac") {
            if let mac = TapestryModel.MACAddress(text) {
                if !mac.isValidSource { reader.error(m.position(of: "mac"), "\(what): MAC \(text) must be a unicast address"); ok = false }
                if config.type == .system || config.type == .vxlan || config.type == .patch {
                    reader.error(m.position(of: "mac"), "\(what): mac does not apply to \(config.type.rawValue) ports"); ok = false
                }
                config.mac = mac
            } else {
                reader.error(m.position(of: "mac"), "\(what): invalid MAC address '\(text)'"); ok = false
            }
        }
        if let text = m.string("address") {
            spec.addressPosition = m.position(of: "address")
            if let cidr = IPv4CIDR(text), cidr.isHostAddress {
                spec.address = cidr
                if config.type != .internal {
                    reader.error(m.position(of: "address"), "\(what): address applies to internal ports only (a tap's address belongs to its node)")
                }
            } else {
                reader.error(m.position(of: "address"), "\(what): invalid address '\(text)' (expected e.g. 10.10.0.1/24)")
            }
        }
        if let v = m["policy"] {
            if let p = reader.portPolicy(v, what) { config.policy = p.isEmpty ? nil : p } else { ok = false }
        }
        if let peer = m.string("peer") {
            spec.peerPosition = m.position(of: "peer")
            if config.type != .patch {
                reader.error(m.position(of: "peer"), "\(what): peer applies to type patch only"); ok = false
            } else if !interfaceName(peer, m.position(of: "peer"), "\(what): peer name") {
                ok = false
            } else if peer == e.key {
                reader.error(m.position(of: "peer"), "\(what): a patch port cannot be its own peer"); ok = false
            }
            config.peer = peer
        } else if config.type == .patch {
            reader.error(pos, "\(what): a patch port needs peer: PORT (the patch port at the other end, on another bridge)"); ok = false
        }
        if let v = m["vxlan"] {
            if config.type != .vxlan { reader.error(reader.position(v), "\(what): vxlan settings apply to type vxlan only"); ok = false }
            config.vxlan = vxlan(v, what)
            if config.vxlan == nil { ok = false }
        } else if config.type == .vxlan {
            reader.error(pos, "\(what): a vxlan port needs vxlan: {vni, remotes} (or use a segment)"); ok = false
        }
        if ok {
            do { try config.validate() } catch { reader.error(pos, error.message) }
        }
        spec.config = config
        return spec
    }

    func vlanSet(_ node: Node, _ what: String) -> VLANSet? {
        if case .sequence(let s) = node {
            var set = VLANSet()
            for item in s {
                guard let n = reader.integer(item, "\(what) item", 1...4094) else { return nil }
                set.insert(UInt16(n))
            }
            if set.isEmpty { reader.error(node, "\(what): the VLAN list is empty"); return nil }
            return set
        }
        guard let text = reader.scalarText(node, what) else { return nil }
        do { return try VLANSet.parse(text) } catch {
            reader.error(node, "\(what): \(error.message)")
            return nil
        }
    }

    func vxlan(_ node: Node, _ what: String) -> VXLANConfig? {
        guard let m = reader.mapping(node, "vxlan of \(what)", allowed: ["vni", "remotes", "local", "dst-port"]) else { return nil }
        guard let vni = m.int("vni", VXLANConfig.vniRange) else {
            if !m.has("vni") { reader.error(m.position, "\(what): vxlan needs a vni") }
            return nil
        }
        var remotes: [IPAddress] = []
        for (text, p) in m.strings("remotes") ?? [] {
            if let a = IPAddress(strict: text) { remotes.append(a) } else { reader.error(p, "\(what): invalid remote '\(text)'") }
        }
        if remotes.isEmpty { reader.error(m.position(of: "remotes"), "\(what): vxlan needs at least one remote"); return nil }
        var local: IPAddress? = nil
        if let l = m.string("local") {
            local = IPAddress(strict: l)
            if local == nil { reader.error(m.position(of: "local"), "\(what): invalid local address '\(l)'") }
        }
        let port = m.int("dst-port", 1...65535) ?? VXLANConfig.defaultPort
        return VXLANConfig(vni: vni, remotes: remotes, local: local, dstPort: port)
    }

    func staticMAC(_ node: Node, bridge: String) -> StaticMACSpec? {
        let what = "a static MAC of bridge \(bridge)"
        guard let m = reader.mapping(node, what, allowed: ["mac", "port", "vlan", "remote", "host"]) else { return nil }
        guard let text = m.string("mac"), let portName = m.string("port") else {
            reader.error(m.position, "\(what) needs mac and port")
            return nil
        }
        guard let mac = TapestryModel.MACAddress(text) else { reader.error(m.position(of: "mac"), "\(what): invalid MAC address '\(text)'"); return nil }
        if !mac.isValidSource { reader.error(m.position(of: "mac"), "\(what): MAC \(text) must be a unicast address") }
        let vlan = m.int("vlan", 1...4094).flatMap { VLANID($0) } ?? VLANID(1)!
        var remote: IPAddress? = nil
        if let r = m.string("remote") {
            remote = IPAddress(strict: r)
            if remote == nil { reader.error(m.position(of: "remote"), "\(what): invalid remote '\(r)'") }
        }
        return StaticMACSpec(position: m.position, host: m.string("host"), entry: StaticMAC(mac: mac, vlan: vlan, port: portName, remote: remote),
                             portPosition: m.position(of: "port"))
    }

    // MARK: - segments

    func segment(_ e: MappingView.Entry) -> SegmentSpec? {
        let pos = reader.position(e.keyNode)
        guard let m = reader.mapping(e.value, "segment \(e.key)", allowed: ["bridge", "vni", "vlan", "hosts", "dst-port"]) else { return nil }
        guard let bridge = m.string("bridge") else {
            if !m.has("bridge") { reader.error(pos, "segment \(e.key) needs a bridge") }
            return nil
        }
        var spec = SegmentSpec(name: e.key, position: pos, bridge: bridge, bridgePosition: m.position(of: "bridge"))
        if m.has("vni") { spec.vni = m.int("vni", VXLANConfig.vniRange); spec.vniPosition = m.position(of: "vni") }
        if let v = m.int("vlan", 1...4094) { spec.vlan = VLANID(v) }
        if let hs = m.strings("hosts") { spec.hosts = hs.map(\.0); spec.hostsPosition = m.position(of: "hosts") }
        if let p = m.int("dst-port", 1...65535) { spec.dstPort = p }
        return spec
    }

    // MARK: - nodes

    func node(_ e: MappingView.Entry) -> NodeSpec? {
        let pos = reader.position(e.keyNode)
        var spec = NodeSpec(name: e.key, position: pos)
        if !TopologyParser.isValidLabName(e.key) { reader.error(pos, "invalid node name '\(e.key)': 1-32 letters, digits, '-', '_' or '.'") }
        let what = "node \(e.key)"
        guard let m = reader.mapping(e.value, what, allowed: ["host", "namespace", "port", "link", "interface", "address", "gateway"]) else { return nil }
        if let h = m.string("host") { spec.host = h; spec.hostPosition = m.position(of: "host") }
        if let ns = m.string("namespace") { namespaceName(ns, m.position(of: "namespace"), what); spec.namespace = ns }
        if let p = m.string("port") { spec.port = p; spec.portPosition = m.position(of: "port") }
        if let l = m["link"] {
            spec.linkPosition = reader.position(l)
            if let lm = reader.mapping(l, "link of \(what)", allowed: ["name", "address"]) {
                let hostName = lm.string("name") ?? e.key
                if interfaceName(hostName, lm.position(of: "name"), "link name of \(what)") {
                    var link = NodeLinkSpec(hostName: hostName)
                    if let a = lm.string("address") {
                        if let cidr = IPv4CIDR(a), cidr.isHostAddress { link.hostAddress = cidr } else {
                            reader.error(lm.position(of: "address"), "\(what): invalid link address '\(a)' (expected e.g. 203.0.113.1/24)")
                        }
                    }
                    spec.link = link
                }
            }
        }
        if spec.port != nil && m.has("link") { reader.error(m.position(of: "link"), "\(what): give port or link, not both") }
        if spec.port == nil && !m.has("link") { reader.error(pos, "\(what) needs a port (a tap port on a bridge or network) or a link") }
        if let i = m.string("interface") {
            if spec.port != nil { reader.error(m.position(of: "interface"), "\(what): a tap port keeps its name in the node; interface applies to links") }
            if interfaceName(i, m.position(of: "interface"), "interface name of \(what)") { spec.interface = i }
        }
        if let a = m.string("address") {
            spec.addressPosition = m.position(of: "address")
            if a == "dhcp" { spec.address = .dhcp } else if let cidr = IPv4CIDR(a), cidr.isHostAddress {
                spec.address = .staticAddress(cidr)
            } else {
                reader.error(m.position(of: "address"), "\(what): invalid address '\(a)' (expected e.g. 10.0.0.5/24 or dhcp)")
            }
        }
        if let g = m.string("gateway") {
            spec.gatewayPosition = m.position(of: "gateway")
            if let a = IPv4Address(g) { spec.gateway = a } else { reader.error(m.position(of: "gateway"), "\(what): invalid gateway '\(g)'") }
        }
        return spec
    }

    // MARK: - networks

    static let networkKeys = ["host", "file", "xml", "forward", "bridge", "mtu", "domain", "ipv4", "ipv6", "dns", "autostart", "ports"]

    func network(_ e: MappingView.Entry) -> NetworkSpec? {
        let pos = reader.position(e.keyNode)
        let what = "network \(e.key)"
        guard let m = reader.mapping(e.value, what, allowed: Self.networkKeys) else { return nil }
        var def = NetworkDefinition(name: e.key)
        var file: String? = nil
        let inlineKeys = ["forward", "bridge", "mtu", "domain", "ipv4", "ipv6", "dns"]
        let source = m.has("file") ? "file" : m.has("xml") ? "xml" : nil
        if m.has("file") && m.has("xml") { reader.error(m.position(of: "xml"), "\(what): give file or xml, not both") }
        if let source {
            for k in inlineKeys where m.has(k) {
                reader.error(m.position(of: k), "\(what): \(k) comes from the XML definition; remove it or the \(source) reference")
            }
            guard let text = m.string(source) else { return nil }
            var xml = text
            if source == "file" {
                let resolved = text.hasPrefix("/") ? text : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(text).path
                file = resolved
                do { xml = try loader(resolved) } catch {
                    reader.error(m.position(of: "file"), "\(what): could not read \(text): \(error.localizedDescription)")
                    return nil
                }
            }
            do { def = try NetworkXMLParser.parse(xml) } catch {
                reader.error(m.position(of: source), "\(what): invalid libvirt network XML: \(error)")
                return nil
            }
            if def.name != e.key {
                reader.error(m.position(of: source), "\(what): the XML defines network '\(def.name)'; the key must match")
            }
        } else {
            inline(m, &def, what)
        }
        let addrPos = source.map { m.position(of: $0) } ?? m.position(of: "ipv4")
        let bridgePos = source.map { m.position(of: $0) } ?? m.position(of: "bridge")
        var spec = NetworkSpec(name: e.key, position: pos, definition: def, file: file, addressPosition: addrPos, bridgePosition: bridgePos)
        if let h = m.string("host") { spec.host = h; spec.hostPosition = m.position(of: "host") }
        if let a = m.bool("autostart") { spec.autostart = a }
        if let p = m["ports"] { spec.ports = reader.namedEntries(p, "ports of \(what)").compactMap { port($0, owner: what) } }
        if !def.forward.mode.hasOwnBridge {
            reader.error(source.map { m.position(of: $0) } ?? m.position(of: "forward"),
                         "\(what): forward mode '\(def.forward.mode.rawValue)' is not supported (nat, route, open or isolated)")
        }
        return spec
    }

    func inline(_ m: MappingView, _ def: inout NetworkDefinition, _ what: String) {
        if let f = m.string("forward") {
            let mode: ForwardMode? = f == "isolated" ? .isolated : ForwardMode(rawValue: f)
            if let mode, mode.hasOwnBridge { def.forward = Forward(mode: mode) } else {
                reader.error(m.position(of: "forward"), "\(what): invalid forward mode '\(f)' (nat, route, open or isolated)")
            }
        }
        if let b = m.string("bridge"), interfaceName(b, m.position(of: "bridge"), "bridge name of \(what)") { def.bridge.name = b }
        if let mtu = m.int("mtu", 68...65521) { def.mtu = UInt32(mtu) }
        if let d = m.string("domain") { def.domain = Domain(name: d) }
        for family in ["ipv4", "ipv6"] {
            guard let node = m[family] else { continue }
            if let ip = ipSection(node, family: family, what) { def.ips.append(ip) }
        }
        if let d = m["dns"], let dm = reader.mapping(d, "dns of \(what)", allowed: ["enable", "hosts", "forwarders"]) {
            if let en = dm.bool("enable") { def.dns.enable = en }
            for (text, p) in dm.strings("forwarders") ?? [] {
                if let a = IPAddress(text) { def.dns.forwarders.append(DNSForwarder(address: a)) } else {
                    reader.error(p, "\(what): invalid DNS forwarder '\(text)'")
                }
            }
            for h in dm.list("hosts") ?? [] {
                guard let hm = reader.mapping(h, "a DNS host of \(what)", allowed: ["ip", "names"]) else { continue }
                guard let ipText = hm.string("ip"), let ip = IPAddress(ipText) else {
                    reader.error(hm.position(of: "ip"), "\(what): a DNS host needs a valid ip"); continue
                }
                let names = (hm.strings("names") ?? []).map(\.0)
                if names.isEmpty { reader.error(hm.position, "\(what): a DNS host needs names") }
                def.dns.hosts.append(DNSHost(ip: ip, hostnames: names))
            }
        }
    }

    func ipSection(_ node: Node, family: String, _ what: String) -> IPDefinition? {
        let w = "\(family) of \(what)"
        guard let m = reader.mapping(node, w, allowed: ["address", "dhcp"]) else { return nil }
        guard let text = m.string("address") else { reader.error(m.position, "\(w) needs an address like 192.168.100.1/24"); return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let a = IPAddress(String(parts[0])), let p = UInt(parts[1]),
              a.family == (family == "ipv4" ? .ipv4 : .ipv6), p <= UInt(a.bitWidth), p > 0 else {
            reader.error(m.position(of: "address"), "\(w): invalid address '\(text)' (expected \(family == "ipv4" ? "192.168.100.1/24" : "fd00::1/64"))")
            return nil
        }
        var ip = IPDefinition(address: a)
        ip.family = family == "ipv6" ? "ipv6" : nil
        ip.prefix = p
        if let d = m["dhcp"], let dm = reader.mapping(d, "dhcp of \(w)", allowed: ["range", "ranges", "hosts"]) {
            var ranges = dm.strings("ranges") ?? []
            if let r = dm.string("range") { ranges.append((r, dm.position(of: "range"))) }
            for (r, rp) in ranges {
                let ends = r.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
                guard ends.count == 2, let s = IPAddress(ends[0]), let e = IPAddress(ends[1]), s.family == a.family, e.family == a.family,
                      s <= e, a.contains(s, prefix: Int(p)), a.contains(e, prefix: Int(p)) else {
                    reader.error(rp, "\(w): invalid DHCP range '\(r)' (expected FIRST-LAST inside \(text))")
                    continue
                }
                ip.dhcpRanges.append(DHCPRange(start: s, end: e))
            }
            for h in dm.list("hosts") ?? [] {
                guard let hm = reader.mapping(h, "a DHCP host of \(w)", allowed: ["mac", "name", "ip", "id"]) else { continue }
                var host = DHCPHost(mac: hm.string("mac"), id: hm.string("id"), name: hm.string("name"))
                if let mac = host.mac, TapestryModel.MACAddress(mac) == nil { reader.error(hm.position(of: "mac"), "\(w): invalid MAC '\(mac)'") }
                if let t = hm.string("ip") {
                    if let hip = IPAddress(t), hip.family == a.family, a.contains(hip, prefix: Int(p)) { host.ip = hip } else {
                        reader.error(hm.position(of: "ip"), "\(w): DHCP host address '\(t)' is not inside \(text)")
                    }
                }
                ip.dhcpHosts.append(host)
            }
        }
        return ip
    }
}
