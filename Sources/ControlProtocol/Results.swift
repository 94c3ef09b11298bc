import TapestryModel

/// A port as configured and as it is on the host now.
public struct PortStatus: Codable, Sendable {
    public var config: PortConfig
    /// `up`, `down`, or `error`.
    public var state: String
    /// Why the port is not working, when `state` is `error`.
    public var error: String?
    /// The port's interface index in the namespace where its netdev lives.
    public var ifindex: Int32?
    /// The netdev's MAC address, when known.
    public var mac: MACAddress?
    /// The netdev's operational state as the link monitor last saw it (`up`, `down`, `lowerlayerdown`, `absent`...).
    public var operState: String?
    /// Whether the netdev has carrier.
    public var carrier: Bool?
    /// With spanning tree on: the port's role and state (`alternate`, `discarding`...).
    public var stpRole: String?
    public var stpState: String?
    /// For vhost-user ports: the socket and the connection.
    public var vhostUser: VhostUserPortStatus?
    /// For bonds: each member (enabled, carrier, LACP).
    public var bondMembers: [BondMemberStatus]?
    public init(config: PortConfig, state: String, error: String? = nil, ifindex: Int32? = nil, mac: MACAddress? = nil,
                operState: String? = nil, carrier: Bool? = nil, vhostUser: VhostUserPortStatus? = nil) {
        self.config = config; self.state = state; self.error = error; self.ifindex = ifindex; self.mac = mac
        self.operState = operState; self.carrier = carrier; self.vhostUser = vhostUser
    }
}

/// A vhost-user port's connection as `show` prints it.
public struct VhostUserPortStatus: Codable, Sendable, Equatable {
    /// The socket tapestryd listens on (vhost-user) or connects to (vhost-user-client).
    public var socketPath: String
    public var connected: Bool
    /// Negotiated virtio feature names (e.g. version-1, mrg-rxbuf, event-idx, guest-tso4).
    public var features: [String]
    /// Negotiated protocol features (mq, reply-ack).
    public var protocolFeatures: [String]
    /// Queues served now: the guest's receive and transmit queues.
    public var receiveQueues: Int
    public var transmitQueues: Int
    /// Connections since the port was created.
    public var connections: Int
    /// Why the last connection ended or a vring was refused, if it was abnormal.
    public var lastError: String?
    /// Frames and bytes per queue pair since the port was made (the pairs served now and any that carried frames).
    public var queueCounters: [VhostUserQueueStats]?
    public init(socketPath: String, connected: Bool, features: [String], protocolFeatures: [String], receiveQueues: Int,
                transmitQueues: Int, connections: Int, lastError: String?, queueCounters: [VhostUserQueueStats]? = nil) {
        self.socketPath = socketPath; self.connected = connected; self.features = features
        self.protocolFeatures = protocolFeatures; self.receiveQueues = receiveQueues; self.transmitQueues = transmitQueues
        self.connections = connections; self.lastError = lastError; self.queueCounters = queueCounters
    }
}

/// One queue pair of a vhost-user port: rx counts what the switch took from the guest's transmit
/// queue of the pair, tx what it gave to the guest's receive queue (the port's own rx/tx sense).
public struct VhostUserQueueStats: Codable, Sendable, Equatable {
    /// The pair's number (the guest's vrings 2q and 2q + 1).
    public var queue: Int
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    public init(queue: Int, rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64) {
        self.queue = queue; self.rxPackets = rxPackets; self.rxBytes = rxBytes; self.txPackets = txPackets; self.txBytes = txBytes
    }
}

/// A bridge with its ports' status and its MAC table fill.
public struct BridgeStatus: Codable, Sendable {
    public var name: String
    public var mode: BridgeMode
    public var macAging: Int
    public var macTableSize: Int
    public var macCount: Int
    public var ports: [PortStatus]
    public var staticMACs: [StaticMAC]
    /// Problems worth a look, e.g. ports whose MTU is larger than a tunnel can carry.
    public var warnings: [String]
    /// Spanning tree settings (nil: off).
    public var stp: BridgeSTPConfig?
    public init(name: String, mode: BridgeMode, macAging: Int, macTableSize: Int, macCount: Int, ports: [PortStatus],
                staticMACs: [StaticMAC], warnings: [String] = []) {
        self.name = name; self.mode = mode; self.macAging = macAging; self.macTableSize = macTableSize
        self.macCount = macCount; self.ports = ports; self.staticMACs = staticMACs; self.warnings = warnings
    }
}

/// `show`: every bridge (or one) and the config generation.
public struct ShowResult: Codable, Sendable {
    public var generation: Int
    public var bridges: [BridgeStatus]
    /// The QoS and Queue rows of the ovs-vsctl front end (when showing every bridge and there are any).
    public var ovsRecords: [OVSRecord]?
    public init(generation: Int, bridges: [BridgeStatus], ovsRecords: [OVSRecord]? = nil) {
        self.generation = generation; self.bridges = bridges; self.ovsRecords = ovsRecords
    }
}

/// One MAC table entry.
public struct FDBEntry: Codable, Sendable, Equatable {
    public var port: String
    public var vlan: VLANID
    public var mac: MACAddress
    /// Seconds since the entry was last refreshed (0 for static entries).
    public var age: Int
    public var isStatic: Bool
    /// For entries behind a vxlan port: the remote (tunnel endpoint) it was learned from.
    public var remote: IPAddress?
    public init(port: String, vlan: VLANID, mac: MACAddress, age: Int, isStatic: Bool, remote: IPAddress? = nil) {
        self.port = port; self.vlan = vlan; self.mac = mac; self.age = age; self.isStatic = isStatic; self.remote = remote
    }
}

/// `fdb-show`: the entries and the table's counters.
public struct FDBShowResult: Codable, Sendable {
    public var bridge: String
    public var entries: [FDBEntry]
    public var capacity: Int
    public var learned: UInt64
    public var moved: UInt64
    public var aged: UInt64
    public var evicted: UInt64
    public init(bridge: String, entries: [FDBEntry], capacity: Int, learned: UInt64, moved: UInt64, aged: UInt64, evicted: UInt64) {
        self.bridge = bridge; self.entries = entries; self.capacity = capacity
        self.learned = learned; self.moved = moved; self.aged = aged; self.evicted = evicted
    }
}

/// `fdb-flush`: how many entries went.
public struct FDBFlushResult: Codable, Sendable {
    public var removed: Int
    public init(removed: Int) { self.removed = removed }
}

/// One port's counters; `drops` maps a reason (e.g. `tagged-on-access`) to a count.
public struct PortCountersSnapshot: Codable, Sendable, Equatable {
    public var port: String
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    public var drops: [String: UInt64]
    /// ARP requests from the port the bridge answered itself (ARP suppression); nil: none.
    public var arpAnswered: UInt64?
    /// For vhost-user ports: the counters per queue pair.
    public var vhostQueues: [VhostUserQueueStats]?
    public init(port: String, rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64, drops: [String: UInt64],
                arpAnswered: UInt64? = nil, vhostQueues: [VhostUserQueueStats]? = nil) {
        self.port = port; self.rxPackets = rxPackets; self.rxBytes = rxBytes; self.txPackets = txPackets
        self.txBytes = txBytes; self.drops = drops; self.arpAnswered = arpAnswered; self.vhostQueues = vhostQueues
    }
}

/// `stats`: per-port counters of a bridge.
public struct StatsResult: Codable, Sendable {
    public var bridge: String
    public var ports: [PortCountersSnapshot]
    public init(bridge: String, ports: [PortCountersSnapshot]) { self.bridge = bridge; self.ports = ports }
}
