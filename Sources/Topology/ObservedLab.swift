import TapestryModel

/// What is there now, as `apply` found it: the pure planner's other input.
public struct ObservedLab: Sendable, Equatable {
    /// Network namespaces that exist (of those the lab would create or created).
    public var namespaces: Set<String> = []
    /// Hosts whose daemon answered, by host name.
    public var hosts: [String: ObservedHost] = [:]
    /// Nodes whose namespace exists, by node name.
    public var nodes: [String: ObservedNode] = [:]
    /// Whether the underlay bridge exists in the underlay namespace.
    public var underlayBridge: Bool = false
    /// Hosts whose underlay link exists (with its address).
    public var underlayLinks: Set<String> = []

    public init() {}
}

public struct ObservedHost: Sendable, Equatable {
    /// Every bridge the daemon has, networks' bridges included.
    public var bridges: [BridgeConfig] = []
    public var networks: [ObservedNetwork] = []
    /// IPv4 addresses per interface in a lab host's namespace.
    public var addresses: [String: [String]] = [:]
    /// net.ipv4.ip_forward in a lab host's namespace.
    public var forwarding: Bool = false

    public init(bridges: [BridgeConfig] = [], networks: [ObservedNetwork] = [], addresses: [String: [String]] = [:], forwarding: Bool = false) {
        self.bridges = bridges; self.networks = networks; self.addresses = addresses; self.forwarding = forwarding
    }
}

public struct ObservedNetwork: Sendable, Equatable {
    public var name: String
    /// The persistent definition (`net-dumpxml --inactive`).
    public var xml: String
    public var active: Bool
    public var autostart: Bool
    public var bridge: String?

    public init(name: String, xml: String, active: Bool, autostart: Bool, bridge: String?) {
        self.name = name; self.xml = xml; self.active = active; self.autostart = autostart; self.bridge = bridge
    }
}

public struct ObservedNode: Sendable, Equatable {
    /// Whether the node's interface is in its namespace.
    public var hasInterface: Bool
    /// Its IPv4 addresses (`10.0.0.5/24`).
    public var addresses: [String]
    public var defaultGateway: String?

    public init(hasInterface: Bool, addresses: [String] = [], defaultGateway: String? = nil) {
        self.hasInterface = hasInterface; self.addresses = addresses; self.defaultGateway = defaultGateway
    }
}

/// What a previous apply of the lab created, kept in `<lab dir>/lab.json`, so that a later apply
/// removes what the file no longer declares and `destroy` removes exactly what was made.
public struct LabRecord: Codable, Sendable, Equatable {
    public struct Host: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
        public var socketPath: String
        /// The lab daemon's pid (checked against its command line before any signal).
        public var pid: Int32?
        public var stateDirectory: String?
        public init(name: String, namespace: String?, socketPath: String, pid: Int32? = nil, stateDirectory: String? = nil) {
            self.name = name; self.namespace = namespace; self.socketPath = socketPath; self.pid = pid; self.stateDirectory = stateDirectory
        }
    }

    public var name: String
    public var file: String
    public var hosts: [Host]
    /// Namespaces of nodes and the underlay.
    public var namespaces: [String]
    /// Objects inside hosts (bridges, ports, networks, MACs, addresses) made or adopted by apply.
    public var objects: [ObjectRef]

    public init(name: String, file: String, hosts: [Host] = [], namespaces: [String] = [], objects: [ObjectRef] = []) {
        self.name = name; self.file = file; self.hosts = hosts; self.namespaces = namespaces; self.objects = objects
    }

    public func host(named name: String) -> Host? { hosts.first { $0.name == name } }
}
