import TapestryModel

/// The bridge and port verbs of ovs-vsctl (`add-br`, `add-port`, `del-port`, `iface-to-br`, …).
extension OVSDatabase {
    mutating func addBridge(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count == 1 else {
            if c.arguments.count == 3 { throw OVSError("fake bridges (add-br BRIDGE PARENT VLAN) are not supported by Tapestry") }
            throw OVSError("'add-br' command requires 1 argument (BRIDGE)")
        }
        let name = c.arguments[0]
        if bridge(name) != nil {
            if c.has("may-exist") { return "" }
            throw OVSError("cannot create a bridge named \(name) because a bridge named \(name) already exists")
        }
        if let holder = self.bridge(holding: name) {
            throw OVSError("cannot create a bridge named \(name) because a port named \(name) already exists on bridge \(holder)")
        }
        do { try InterfaceName.validate(name, what: "bridge name") } catch { throw OVSError(error.message) }
        // Like Open vSwitch: the bridge's local port, an internal interface named like it.
        bridges.append(BridgeRow(name: name, ports: [name]))
        ports[name] = PortRow(localPortOf: name)
        return ""
    }

    mutating func deleteBridge(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count == 1 else { throw OVSError("'del-br' command requires 1 argument (BRIDGE)") }
        let name = c.arguments[0]
        guard let b = bridge(name) else {
            if c.has("if-exists") { return "" }
            throw OVSError("no bridge named \(name)")
        }
        for p in b.ports { ports[p] = nil }
        for (n, p) in ports where p.bridge == name { ports[n] = nil }
        bridges.removeAll { $0.name == name }
        return ""
    }

    func requireBridge(_ name: String) throws(OVSError) -> BridgeRow {
        guard let b = bridge(name) else { throw OVSError("no bridge named \(name)") }
        return b
    }

    /// Port names of a bridge without its local port (as `list-ports` shows them).
    func portNames(of b: BridgeRow) -> [String] {
        ports.values.filter { $0.bridge == b.name && $0.name != b.name }.map(\.name).sorted()
    }

    mutating func addPort(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count >= 2 else { throw OVSError("'add-port' command requires at least 2 arguments (BRIDGE PORT)") }
        let (br, name) = (c.arguments[0], c.arguments[1])
        _ = try requireBridge(br)
        if let existing = ports[name] {
            if c.has("may-exist") {
                guard existing.bridge == br else {
                    throw OVSError("\"--may-exist add-port \(br) \(name)\" but \(name) is actually attached to bridge \(existing.bridge)")
                }
                return ""
            }
            throw OVSError("cannot create a port named \(name) because a port named \(name) already exists on bridge \(existing.bridge)")
        }
        if bridge(name) != nil { throw OVSError("cannot create a port named \(name) because a bridge named \(name) already exists") }
        do { try InterfaceName.validate(name, what: "port name") } catch { throw OVSError(error.message) }
        ports[name] = PortRow(newPort: name, bridge: br)
        if let i = bridges.firstIndex(where: { $0.name == br }) { bridges[i].ports.append(name) }
        for setting in c.arguments.dropFirst(2) {
            try setColumn(.port(name), .port, setting)
        }
        return ""
    }

    mutating func deletePort(_ c: OVSCommandLine.Command) throws(OVSError) -> String {
        guard c.arguments.count <= 2 else { throw OVSError("'del-port' command takes at most 2 arguments ([BRIDGE] PORT)") }
        guard let name = c.arguments.last else {
            // libvirt runs `--if-exists del-port` with no name after a failed start: nothing to delete.
            if c.has("if-exists") { return "" }
            throw OVSError("'del-port' command requires at least 1 argument ([BRIDGE] PORT)")
        }
        guard let p = ports[name] else {
            if c.arguments.count == 2 { _ = try requireBridge(c.arguments[0]) }
            if c.has("if-exists") { return "" }
            throw OVSError("no port named \(name)")
        }
        if c.arguments.count == 2 && p.bridge != c.arguments[0] {
            _ = try requireBridge(c.arguments[0])
            throw OVSError("bridge \(c.arguments[0]) does not have a port \(name) (although its bridge is \(p.bridge))")
        }
        if p.name == p.bridge {
            throw OVSError("cannot delete port \(name) because it is the local port for bridge \(name) (use del-br)")
        }
        ports[name] = nil
        if let i = bridges.firstIndex(where: { $0.name == p.bridge }) { bridges[i].ports.removeAll { $0 == name } }
        return ""
    }

    func portToBridge(_ c: OVSCommandLine.Command, what: String) throws(OVSError) -> String {
        guard c.arguments.count == 1 else { throw OVSError("'\(c.verb)' command requires 1 argument") }
        guard let p = ports[c.arguments[0]] else { throw OVSError("no \(what) named \(c.arguments[0])") }
        return p.bridge + "\n"
    }

    /// `ovs-vsctl show`: the bridges, their ports and interfaces with the settings that are not defaults.
    func show() -> String {
        var out = OVSUUID.stable(table: "Open_vSwitch", name: ".") + "\n"
        for b in bridges.sorted(by: { $0.name < $1.name }) {
            out += "    Bridge \(OVSAtom.string(b.name).quotedText)\n"
            for name in ports.values.filter({ $0.bridge == b.name }).map(\.name).sorted() {
                guard let p = ports[name] else { continue }
                out += "        Port \(OVSAtom.string(name).quotedText)\n"
                if let tag = p.tag { out += "            tag: \(tag)\n" }
                if !p.trunks.isEmpty { out += "            trunks: [\(p.trunks.map(String.init).joined(separator: ", "))]\n" }
                if let mode = p.vlanMode { out += "            vlan_mode: \(mode)\n" }
                if let qos = p.qos { out += "            qos: \(qos)\n" }
                out += "            Interface \(OVSAtom.string(name).quotedText)\n"
                if !p.interfaceType.isEmpty { out += "                type: \(p.interfaceType)\n" }
                if !p.options.isEmpty {
                    let pairs = p.options.keys.sorted().map { "\($0)=\(OVSAtom.string(p.options[$0] ?? "").quotedText)" }
                    out += "                options: {\(pairs.joined(separator: ", "))}\n"
                }
                if let e = runtime[name]?.error { out += "                error: \(OVSAtom.string(e).quotedText)\n" }
            }
        }
        return out + "    ovs_version: \"tapestry\"\n"
    }
}
