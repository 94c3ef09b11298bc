/// Runs the commands of one ovs-vsctl invocation against the working copy, in order.
extension OVSDatabase {
    /// Verbs ovs-vsctl has that Tapestry does not map, with the reason given to the user.
    static let unsupported: [String: String] = [
        "add-bond": "bonds are not supported by tapestry-ovs-vsctl",
        "add-bond-iface": "bonds are not supported by tapestry-ovs-vsctl",
        "del-bond-iface": "bonds are not supported by tapestry-ovs-vsctl",
        "br-set-external-id": "bridge external ids are not kept by Tapestry",
        "br-get-external-id": "bridge external ids are not kept by Tapestry",
        "set-controller": "Tapestry has no OpenFlow controller", "get-controller": "Tapestry has no OpenFlow controller",
        "del-controller": "Tapestry has no OpenFlow controller", "set-fail-mode": "Tapestry has no OpenFlow fail mode",
        "get-fail-mode": "Tapestry has no OpenFlow fail mode", "del-fail-mode": "Tapestry has no OpenFlow fail mode",
        "set-manager": "Tapestry has no OVSDB manager", "get-manager": "Tapestry has no OVSDB manager",
        "del-manager": "Tapestry has no OVSDB manager", "set-ssl": "Tapestry has no OVSDB SSL", "get-ssl": "Tapestry has no OVSDB SSL",
        "del-ssl": "Tapestry has no OVSDB SSL", "emer-reset": "emer-reset is not supported",
        "wait-until": "wait-until is not supported by tapestry-ovs-vsctl", "add-zone-tp": "conntrack zones are not supported",
        "del-zone-tp": "conntrack zones are not supported", "list-zone-tp": "conntrack zones are not supported",
        "add-aa-mapping": "auto-attach is not supported", "del-aa-mapping": "auto-attach is not supported",
        "get-aa-mapping": "auto-attach is not supported", "comment": "comment is not supported",
    ]

    /// Options each verb accepts.
    static let verbOptions: [String: Set<String>] = [
        "init": [], "show": [], "add-br": ["may-exist"], "del-br": ["if-exists"], "list-br": ["real", "fake"],
        "br-exists": [], "br-to-vlan": [], "br-to-parent": [], "list-ports": [], "add-port": ["may-exist", "fake-iface"],
        "del-port": ["if-exists", "with-iface"], "port-to-br": [], "list-ifaces": [], "iface-to-br": [],
        "get": ["if-exists", "id"], "set": ["if-exists"], "add": ["if-exists"], "remove": ["if-exists"], "clear": ["if-exists"],
        "list": ["if-exists", "columns"], "find": ["columns"], "create": ["id"], "destroy": ["if-exists", "all"],
    ]

    /// Runs every command; returns each command's output (possibly empty). Nothing is committed here.
    public mutating func execute(_ line: OVSCommandLine) throws(OVSError) -> [String] {
        let style = OVSOutputStyle(format: line.global.format ?? .list, data: line.global.data ?? .string, headings: line.global.headings)
        var outputs: [String] = []
        for c in line.commands {
            if let why = OVSDatabase.unsupported[c.verb] { throw OVSError("'\(c.verb)': \(why)") }
            guard let allowed = OVSDatabase.verbOptions[c.verb] else { throw OVSError("unknown command '\(c.verb)'; use --help for help") }
            for o in c.options.keys where !allowed.contains(o) {
                throw OVSError("'\(c.verb)' command has no '--\(o)' option")
            }
            var out: String
            switch c.verb {
            case "init": out = ""
            case "show": out = show()
            case "add-br": out = try addBridge(c)
            case "del-br": out = try deleteBridge(c)
            case "list-br": out = bridges.map(\.name).sorted().map { $0 + "\n" }.joined()
            case "br-exists":
                guard c.arguments.count == 1 else { throw OVSError("'br-exists' command requires 1 argument (BRIDGE)") }
                guard bridge(c.arguments[0]) != nil else { throw OVSError("", status: 2) }
                out = ""
            case "br-to-vlan": guard c.arguments.count == 1 else { throw OVSError("'br-to-vlan' command requires 1 argument") }
                _ = try requireBridge(c.arguments[0]); out = "0\n"
            case "br-to-parent": guard c.arguments.count == 1 else { throw OVSError("'br-to-parent' command requires 1 argument") }
                out = try requireBridge(c.arguments[0]).name + "\n"
            case "list-ports", "list-ifaces":
                guard c.arguments.count == 1 else { throw OVSError("'\(c.verb)' command requires 1 argument (BRIDGE)") }
                out = portNames(of: try requireBridge(c.arguments[0])).map { $0 + "\n" }.joined()
            case "add-port": out = try addPort(c)
            case "del-port": out = try deletePort(c)
            case "port-to-br": out = try portToBridge(c, what: "port")
            case "iface-to-br": out = try portToBridge(c, what: "interface")
            case "get": out = try get(c)
            case "set": out = try set(c)
            case "add": out = try addOrRemove(c, remove: false)
            case "remove": out = try addOrRemove(c, remove: true)
            case "clear": out = try clear(c)
            case "list": out = try list(c, style)
            case "find": out = try find(c, style)
            case "create": out = try create(c)
            case "destroy": out = try destroy(c)
            default: throw OVSError("unknown command '\(c.verb)'; use --help for help")
            }
            if line.global.oneline {
                var s = out
                if s.hasSuffix("\n") { s.removeLast() }
                out = s.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n") + "\n"
            }
            outputs.append(out)
        }
        return outputs
    }
}
