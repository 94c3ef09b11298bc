/// The `net-*` methods: libvirt-style virtual networks (see `virsh net-*`). A network is named by
/// its name or its uuid wherever `network` appears.
extension Methods {
    public enum NetDefine: RPCMethod {
        public typealias Params = NetworkXMLParams
        public typealias Result = NetworkInfo
        public static let name = "net-define"
        public static let service = ControlService.networks
    }
    public enum NetCreate: RPCMethod {
        public typealias Params = NetworkXMLParams
        public typealias Result = NetworkInfo
        public static let name = "net-create"
        public static let service = ControlService.networks
    }
    public enum NetStart: RPCMethod {
        public typealias Params = NetworkParams
        public typealias Result = Empty
        public static let name = "net-start"
        public static let service = ControlService.networks
    }
    public enum NetDestroy: RPCMethod {
        public typealias Params = NetworkParams
        public typealias Result = Empty
        public static let name = "net-destroy"
        public static let service = ControlService.networks
    }
    public enum NetUndefine: RPCMethod {
        public typealias Params = NetworkParams
        public typealias Result = Empty
        public static let name = "net-undefine"
        public static let service = ControlService.networks
    }
    public enum NetAutostart: RPCMethod {
        public typealias Params = NetworkAutostartParams
        public typealias Result = Empty
        public static let name = "net-autostart"
        public static let service = ControlService.networks
    }
    public enum NetList: RPCMethod {
        public typealias Params = Empty
        public typealias Result = NetworkListResult
        public static let name = "net-list"
        public static let service = ControlService.networks
    }
    public enum NetInfo: RPCMethod {
        public typealias Params = NetworkParams
        public typealias Result = NetworkInfo
        public static let name = "net-info"
        public static let service = ControlService.networks
    }
    public enum NetDumpXML: RPCMethod {
        public typealias Params = NetworkDumpXMLParams
        public typealias Result = NetworkXMLResult
        public static let name = "net-dumpxml"
        public static let service = ControlService.networks
    }
    public enum NetUpdate: RPCMethod {
        public typealias Params = NetworkUpdateParams
        public typealias Result = Empty
        public static let name = "net-update"
        public static let service = ControlService.networks
    }
    public enum NetDHCPLeases: RPCMethod {
        public typealias Params = NetworkLeasesParams
        public typealias Result = NetworkLeasesResult
        public static let name = "net-dhcp-leases"
        public static let service = ControlService.networks
    }
}

/// `net-define FILE`, `net-create FILE`: the `<network>` XML text.
public struct NetworkXMLParams: Codable, Sendable {
    public var xml: String
    /// `net-define --live`: a running network of that name is also brought to the new definition
    /// at once, changing only what differs (absent in older requests: false).
    public var live: Bool?
    public init(xml: String, live: Bool? = nil) { self.xml = xml; self.live = live }
}

/// `net-start|net-destroy|net-undefine|net-info NETWORK` (a name or uuid).
public struct NetworkParams: Codable, Sendable {
    public var network: String
    public init(network: String) { self.network = network }
}

/// `net-autostart NETWORK [--disable]`.
public struct NetworkAutostartParams: Codable, Sendable {
    public var network: String
    public var enable: Bool
    public init(network: String, enable: Bool) { self.network = network; self.enable = enable }
}

/// `net-dumpxml NETWORK [--inactive]`.
public struct NetworkDumpXMLParams: Codable, Sendable {
    public var network: String
    /// The persistent definition rather than the running one.
    public var inactive: Bool
    public init(network: String, inactive: Bool = false) { self.network = network; self.inactive = inactive }
}

/// `net-update NETWORK COMMAND SECTION XML [--parent-index N] [--live] [--config]`.
/// Neither `live` nor `config`: the running definition when active, else the persistent one.
public struct NetworkUpdateParams: Codable, Sendable {
    public var network: String
    /// add, delete, modify, add-first, add-last.
    public var command: String
    /// ip-dhcp-host, ip-dhcp-range, dns-host, dns-txt, dns-srv, forward-interface, portgroup.
    public var section: String
    public var xml: String
    public var parentIndex: Int?
    public var live: Bool
    public var config: Bool
    public init(network: String, command: String, section: String, xml: String, parentIndex: Int? = nil,
                live: Bool = false, config: Bool = false) {
        self.network = network; self.command = command; self.section = section; self.xml = xml
        self.parentIndex = parentIndex; self.live = live; self.config = config
    }
}

/// `net-dhcp-leases NETWORK [--mac MAC]`.
public struct NetworkLeasesParams: Codable, Sendable {
    public var network: String
    public var mac: String?
    public init(network: String, mac: String? = nil) { self.network = network; self.mac = mac }
}

/// A network's identity, state and (when active) its helpers' pids.
public struct NetworkInfo: Codable, Sendable, Equatable {
    public var name: String
    public var uuid: String
    public var active: Bool
    public var persistent: Bool
    public var autostart: Bool
    /// The bridge (and internal port) name.
    public var bridge: String?
    /// nat, route, open, none (isolated), ...
    public var forwardMode: String
    public var dnsmasqPID: Int32?
    public var radvdPID: Int32?
    /// How many times the supervisor restarted dnsmasq / radvd after they died.
    public var dnsmasqRestarts: Int?
    public var radvdRestarts: Int?
    /// Where the network's dnsmasq/radvd configs, pid files and leases live.
    public var stateDirectory: String?
    /// `net-define`/`net-create`: what the definition holds that Tapestry keeps but does not act on.
    public var notes: [String]?
    public init(name: String, uuid: String, active: Bool, persistent: Bool, autostart: Bool, bridge: String?,
                forwardMode: String, dnsmasqPID: Int32? = nil, radvdPID: Int32? = nil, dnsmasqRestarts: Int? = nil,
                radvdRestarts: Int? = nil, stateDirectory: String? = nil) {
        self.name = name; self.uuid = uuid; self.active = active; self.persistent = persistent
        self.autostart = autostart; self.bridge = bridge; self.forwardMode = forwardMode
        self.dnsmasqPID = dnsmasqPID; self.radvdPID = radvdPID; self.dnsmasqRestarts = dnsmasqRestarts
        self.radvdRestarts = radvdRestarts; self.stateDirectory = stateDirectory
    }
}

/// `net-list`: every network, active or not (the CLI filters).
public struct NetworkListResult: Codable, Sendable {
    public var networks: [NetworkInfo]
    public init(networks: [NetworkInfo]) { self.networks = networks }
}

/// `net-dumpxml`.
public struct NetworkXMLResult: Codable, Sendable {
    public var xml: String
    public init(xml: String) { self.xml = xml }
}

/// One DHCP lease of a network (`net-dhcp-leases`).
public struct NetworkLease: Codable, Sendable, Equatable {
    /// Seconds since the epoch when the lease ends (0: never).
    public var expiryTime: UInt64
    public var mac: String?
    public var iaid: String?
    /// ipv4 or ipv6.
    public var type: String
    /// The leased address with the network's prefix, e.g. 192.168.122.45/24.
    public var ipAddress: String
    public var prefix: Int
    public var hostname: String?
    public var clientID: String?
    public init(expiryTime: UInt64, mac: String?, iaid: String?, type: String, ipAddress: String, prefix: Int,
                hostname: String?, clientID: String?) {
        self.expiryTime = expiryTime; self.mac = mac; self.iaid = iaid; self.type = type; self.ipAddress = ipAddress
        self.prefix = prefix; self.hostname = hostname; self.clientID = clientID
    }
}

/// `net-dhcp-leases`.
public struct NetworkLeasesResult: Codable, Sendable {
    public var network: String
    public var leases: [NetworkLease]
    public init(network: String, leases: [NetworkLease]) { self.network = network; self.leases = leases }
}
