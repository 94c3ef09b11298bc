import TapestryModel

extension Methods {
    /// `stp-show BRIDGE`: the bridge's spanning tree (root, root port, each port's role and state, counters).
    public enum STPShow: RPCMethod {
        public typealias Params = STPShowParams
        public typealias Result = STPShowResult
        public static let name = "stp-show"
        public static let service = ControlService.bridges
    }
}

public struct STPShowParams: Codable, Sendable {
    public var bridge: String
    public init(bridge: String) { self.bridge = bridge }
}

/// One port as the spanning tree sees it.
public struct STPPortStatus: Codable, Sendable, Equatable {
    public var name: String
    public var portID: String
    public var role: String
    public var state: String
    public var pathCost: Int
    public var edge: Bool
    /// The port speaks legacy STP to an 802.1D peer.
    public var legacyPeer: Bool
    public var bpduGuardShut: Bool
    public var rxBPDUs: UInt64
    public var txBPDUs: UInt64
    public var rxBad: UInt64
    public var forwardTransitions: UInt64
    public var topologyChanges: UInt64
    /// Whether the port counts as a point-to-point link (`--stp-p2p`; auto: unless half duplex). nil from an older daemon.
    public var pointToPoint: Bool?
    public init(name: String, portID: String, role: String, state: String, pathCost: Int, edge: Bool, legacyPeer: Bool,
                bpduGuardShut: Bool, rxBPDUs: UInt64, txBPDUs: UInt64, rxBad: UInt64, forwardTransitions: UInt64,
                topologyChanges: UInt64, pointToPoint: Bool? = nil) {
        self.pointToPoint = pointToPoint
        self.name = name; self.portID = portID; self.role = role; self.state = state; self.pathCost = pathCost
        self.edge = edge; self.legacyPeer = legacyPeer; self.bpduGuardShut = bpduGuardShut; self.rxBPDUs = rxBPDUs
        self.txBPDUs = txBPDUs; self.rxBad = rxBad; self.forwardTransitions = forwardTransitions; self.topologyChanges = topologyChanges
    }
}

/// A bridge's spanning tree, like `ovs-appctl rstp/show`.
public struct STPShowResult: Codable, Sendable {
    public var bridge: String
    public var mode: String
    public var bridgeID: String
    public var rootID: String
    public var rootPathCost: Int
    public var rootPort: String?
    public var isRoot: Bool
    public var hello: Int
    public var maxAge: Int
    public var forwardDelay: Int
    public var topologyChanges: UInt64
    public var ports: [STPPortStatus]
    public init(bridge: String, mode: String, bridgeID: String, rootID: String, rootPathCost: Int, rootPort: String?, isRoot: Bool,
                hello: Int, maxAge: Int, forwardDelay: Int, topologyChanges: UInt64, ports: [STPPortStatus]) {
        self.bridge = bridge; self.mode = mode; self.bridgeID = bridgeID; self.rootID = rootID; self.rootPathCost = rootPathCost
        self.rootPort = rootPort; self.isRoot = isRoot; self.hello = hello; self.maxAge = maxAge; self.forwardDelay = forwardDelay
        self.topologyChanges = topologyChanges; self.ports = ports
    }
}
