import NetworkController
import TapestryModel

/// Where a lab's state lives and how names are made unique (tests run labs side by side).
public struct LabOptions: Sendable {
    /// Prepended to the lab name and every namespace the lab creates.
    public var prefix: String
    /// The parent of every lab's directory (daemon state, pids, logs).
    public var labsDirectory: String
    /// The control socket of the implicit `local` host and of hosts without a socket path.
    public var defaultSocket: String

    public static let defaultLabsDirectory = "/run/tapestry-labs"

    public init(prefix: String = "", labsDirectory: String = LabOptions.defaultLabsDirectory,
                defaultSocket: String = "/run/tapestry/tapestryd.sock") {
        self.prefix = prefix; self.labsDirectory = labsDirectory; self.defaultSocket = defaultSocket
    }
}

/// A host as `apply` sees it: how to reach its daemon and what it should hold.
public struct LabHost: Sendable, Equatable {
    public var name: String
    /// The lab namespace `apply` creates and runs tapestryd in; nil for an existing daemon.
    public var namespace: String?
    public var socketPath: String
    /// For a lab host: the daemon's --run-dir and --state-dir.
    public var runDirectory: String?
    public var stateDirectory: String?
    public var underlay: IPNetwork?
    public var forwarding: Bool
    /// The user's bridges with their ports (segment tunnel ports included) and static MACs.
    public var bridges: [BridgeConfig]
    public var networks: [LabNetwork]
    /// Addresses of internal ports, in the host's namespace.
    public var addresses: [InterfaceAddress]

    public var isLab: Bool { namespace != nil }
}

public struct InterfaceAddress: Hashable, Sendable, Codable {
    public var interface: String
    public var address: String
    public init(interface: String, address: String) { self.interface = interface; self.address = address }
}

/// A libvirt-style network on a host, with the ports added to its bridge.
public struct LabNetwork: Sendable, Equatable {
    public var name: String
    public var definition: NetworkDefinition
    public var autostart: Bool
    public var ports: [PortConfig]
    public var xml: String { NetworkXMLWriter.write(definition) }
}

/// The lab underlay: a kernel bridge in its own namespace with a veth to each lab host.
public struct LabUnderlay: Sendable, Equatable {
    public static let bridgeName = "ul"
    /// The interface's name in each host's namespace.
    public static let hostInterface = "ul0"
    public var namespace: String
    public var links: [Link]

    public struct Link: Sendable, Equatable {
        public var host: String
        public var hostNamespace: String
        /// The veth end on the underlay bridge.
        public var peer: String
        public var address: IPNetwork
    }
}

/// A node: a namespace standing for a VM, attached through a tap port or a veth link.
public struct LabNode: Sendable, Equatable {
    public enum Attachment: Sendable, Equatable {
        case port(String)
        case link(hostName: String, hostAddress: IPv4CIDR?)
    }
    public var name: String
    public var namespace: String
    public var host: String
    public var interface: String
    public var attachment: Attachment
    public var address: NodeAddress?
    public var gateway: IPv4Address?
}

/// Everything a topology file asks for, resolved: names prefixed, hosts' sockets and directories
/// chosen, segments turned into tunnel ports and pre-provisioned MACs, nodes' ports given their netns.
public struct LabModel: Sendable, Equatable {
    public var name: String
    public var directory: String
    public var hosts: [LabHost]
    public var underlay: LabUnderlay?
    public var nodes: [LabNode]

    public func host(named name: String) -> LabHost? { hosts.first { $0.name == name } }

    /// Every namespace the lab creates, hosts first.
    public var namespaces: [String] {
        hosts.compactMap(\.namespace) + (underlay.map { [$0.namespace] } ?? []) + nodes.map(\.namespace)
    }

    public init(file: TopologyFile, options: LabOptions = LabOptions()) {
        name = options.prefix + file.name
        directory = options.labsDirectory + "/" + name
        underlay = nil
        nodes = []
        hosts = []
        let nodeNamespace = Dictionary(file.nodes.map { ($0.name, options.prefix + file.namespace(of: $0)) }, uniquingKeysWith: { a, _ in a })
        // (host, port) → node namespace
        var nodeOfPort: [String: String] = [:]
        for n in file.nodes {
            guard let h = file.host(of: n) else { continue }
            if let p = n.port { nodeOfPort["\(h)/\(p)"] = nodeNamespace[n.name] }
            nodes.append(LabNode(name: n.name, namespace: nodeNamespace[n.name]!, host: h,
                                 interface: n.port ?? n.interface ?? "eth0",
                                 attachment: n.port.map { .port($0) } ?? .link(hostName: n.link?.hostName ?? n.name, hostAddress: n.link?.hostAddress),
                                 address: n.address, gateway: n.gateway))
        }
        let segmentBridges = Set(file.segments.map(\.bridge))
        for h in file.hosts {
            var host = LabHost(name: h.name, namespace: nil, socketPath: options.defaultSocket, runDirectory: nil, stateDirectory: nil,
                               underlay: h.underlay, forwarding: h.forwarding, bridges: [], networks: [], addresses: [])
            switch h.access {
            case .lab(let ns):
                host.namespace = options.prefix + ns
                let dir = directory + "/hosts/" + h.name
                host.runDirectory = dir + "/run"
                host.stateDirectory = dir + "/state"
                host.socketPath = dir + "/run/tapestryd.sock"
            case .socket(let path):
                host.socketPath = path ?? options.defaultSocket
            }
            func resolve(_ p: PortSpec, generateMAC: Bool) -> PortConfig {
                var c = p.config
                if let ns = nodeOfPort["\(h.name)/\(p.name)"] { c.netns = ns }
                if generateMAC && c.type == .tap && c.mac == nil { c.mac = LabModel.generatedMAC(lab: file.name, host: h.name, port: p.name) }
                return c
            }
            for b in file.bridges where file.hosts(of: b).contains(h.name) {
                var config = BridgeConfig(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize)
                config.stp = b.stp
                for p in b.ports where file.host(of: p, on: b) == h.name {
                    config.ports.append(resolve(p, generateMAC: segmentBridges.contains(b.name)))
                    if let a = p.address { host.addresses.append(InterfaceAddress(interface: p.name, address: a.description)) }
                }
                for s in b.staticMACs where (s.host ?? file.hosts(of: b).first) == h.name { config.staticMACs.append(s.entry) }
                host.bridges.append(config)
            }
            for n in file.networks where file.host(of: n) == h.name {
                host.networks.append(LabNetwork(name: n.name, definition: n.definition, autostart: n.autostart,
                                                ports: n.ports.map { resolve($0, generateMAC: false) }))
            }
            hosts.append(host)
        }
        addSegments(file)
        let ulHosts = file.underlayHosts
        if !ulHosts.isEmpty {
            let ns = options.prefix + file.underlayNamespace
            underlay = LabUnderlay(namespace: ns, links: ulHosts.compactMap { h in
                guard let lab = host(named: h.name), let hostNS = lab.namespace, let a = h.underlay else { return nil }
                return LabUnderlay.Link(host: h.name, hostNamespace: hostNS, peer: LabModel.underlayPeerName(h.name), address: a)
            })
        }
    }

    /// For each segment: a vxlan port on each of its hosts to all the others, and each tap port's MAC
    /// on the other hosts pinned behind the tunnel to its VTEP.
    private mutating func addSegments(_ file: TopologyFile) {
        for s in file.segments {
            let members = file.hosts(of: s).compactMap { h in hosts.firstIndex { $0.name == h } }
            let port = file.tunnelPortName(of: s)
            let vni = file.vni(of: s)
            for i in members {
                guard let local = hosts[i].underlay?.address,
                      let bi = hosts[i].bridges.firstIndex(where: { $0.name == s.bridge }) else { continue }
                let remotes = members.filter { $0 != i }.compactMap { hosts[$0].underlay?.address }
                hosts[i].bridges[bi].ports.append(PortConfig(name: port, type: .vxlan, vlan: s.vlan,
                                                             vxlan: VXLANConfig(vni: vni, remotes: remotes, local: local, dstPort: s.dstPort)))
                for o in members where o != i {
                    guard let remote = hosts[o].underlay?.address, let ob = hosts[o].bridges.first(where: { $0.name == s.bridge }) else { continue }
                    for p in ob.ports where p.type == .tap {
                        guard let mac = p.mac, let vlan = p.segmentVLAN(s.vlan) else { continue }
                        hosts[i].bridges[bi].staticMACs.append(StaticMAC(mac: mac, vlan: vlan, port: port, remote: remote))
                    }
                }
            }
        }
    }

    /// A stable locally administered MAC for a tap port on a stretched bridge with no MAC given.
    public static func generatedMAC(lab: String, host: String, port: String) -> TapestryModel.MACAddress {
        let h = fnv1a("\(lab)/\(host)/\(port)")
        return TapestryModel.MACAddress(rawValue: 0x0200_0000_0000 | (h & 0x00FF_FFFF_FFFF))
    }

    /// The underlay bridge's veth end for `host`: `h-<host>`, or a hash when that is too long.
    public static func underlayPeerName(_ host: String) -> String {
        let plain = "h-" + host
        if plain.utf8.count <= InterfaceName.maxLength { return plain }
        return "h-" + String(fnv1a(host) & 0xFFFF_FFFF, radix: 16)
    }
}
