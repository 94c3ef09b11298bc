import TapestryModel

extension Methods {
    /// `add-bond BRIDGE BOND IF1 IF2 [...]`: a bond port over system netdevs.
    public enum AddBond: RPCMethod {
        public typealias Params = AddBondParams
        public typealias Result = Empty
        public static let name = "add-bond"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    /// `del-bond BRIDGE BOND`.
    public enum DeleteBond: RPCMethod {
        public typealias Params = DeleteBondParams
        public typealias Result = Empty
        public static let name = "del-bond"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    /// `set-bond BRIDGE BOND [--mode M] [--lacp L] [--lacp-rate R] [--updelay MS] [--downdelay MS]`.
    public enum SetBond: RPCMethod {
        public typealias Params = SetBondParams
        public typealias Result = Empty
        public static let name = "set-bond"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    /// `bond-show BOND`: members, which are enabled, LACP actor and partner, hash buckets.
    public enum BondShow: RPCMethod {
        public typealias Params = BondShowParams
        public typealias Result = BondShowResult
        public static let name = "bond-show"
        public static let service = ControlService.bridges
    }
}

/// `add-bond`: the bond becomes a port of type bond on `bridge` (VLAN, isolation and policy settings as add-port's).
public struct AddBondParams: Codable, Sendable {
    public var bridge: String
    /// The bond port; its `bond` holds the members and modes.
    public var port: PortConfig
    public var mayExist: Bool
    public init(bridge: String, port: PortConfig, mayExist: Bool = false) { self.bridge = bridge; self.port = port; self.mayExist = mayExist }
}

public struct DeleteBondParams: Codable, Sendable {
    public var bridge: String
    public var bond: String
    public var ifExists: Bool
    public init(bridge: String, bond: String, ifExists: Bool = false) { self.bridge = bridge; self.bond = bond; self.ifExists = ifExists }
}

/// `set-bond`: each field given replaces the bond's setting.
public struct SetBondParams: Codable, Sendable {
    public var bridge: String
    public var bond: String
    public var mode: BondConfig.Mode?
    public var lacp: BondConfig.LACP?
    public var lacpRate: BondConfig.Rate?
    public var updelay: Int?
    public var downdelay: Int?
    public init(bridge: String, bond: String, mode: BondConfig.Mode? = nil, lacp: BondConfig.LACP? = nil, lacpRate: BondConfig.Rate? = nil,
                updelay: Int? = nil, downdelay: Int? = nil) {
        self.bridge = bridge; self.bond = bond; self.mode = mode; self.lacp = lacp; self.lacpRate = lacpRate
        self.updelay = updelay; self.downdelay = downdelay
    }
}

public struct BondShowParams: Codable, Sendable {
    public var bond: String
    public init(bond: String) { self.bond = bond }
}

/// One LACP participant as `bond-show` prints it (like `ovs-appctl lacp/show`).
public struct LACPParticipantStatus: Codable, Sendable, Equatable {
    public var system: String
    public var systemPriority: Int
    public var key: Int
    public var port: Int
    public var portPriority: Int
    /// The state bits by name: activity, timeout, aggregation, synchronization, collecting, distributing, defaulted, expired.
    public var state: [String]
    public init(system: String, systemPriority: Int, key: Int, port: Int, portPriority: Int, state: [String]) {
        self.system = system; self.systemPriority = systemPriority; self.key = key; self.port = port
        self.portPriority = portPriority; self.state = state
    }
}

/// One member of a bond.
public struct BondMemberStatus: Codable, Sendable, Equatable {
    public var name: String
    /// Whether it carries traffic now.
    public var enabled: Bool
    public var carrier: Bool
    /// Whether this is the active member (active-backup; the member floods use in balance-slb).
    public var active: Bool
    /// Hash buckets (of 256) that leave by it.
    public var buckets: Int
    public var actor: LACPParticipantStatus?
    public var partner: LACPParticipantStatus?
    public var rxLACPDUs: UInt64?
    public var txLACPDUs: UInt64?
    public var rxBadLACPDUs: UInt64?
    public init(name: String, enabled: Bool, carrier: Bool, active: Bool, buckets: Int) {
        self.name = name; self.enabled = enabled; self.carrier = carrier; self.active = active; self.buckets = buckets
    }
}

/// A bond as `bond-show` prints it (like `ovs-appctl bond/show` with `lacp/show`).
public struct BondShowResult: Codable, Sendable {
    public var bridge: String
    public var bond: String
    public var config: BondConfig
    /// `negotiated`, `configured` (LACP on, no partner in sync) or `off`.
    public var lacpStatus: String
    public var members: [BondMemberStatus]
    /// Per hash bucket (0-255): the member it leaves by ("" when none is enabled); balance modes only.
    public var buckets: [String]
    public init(bridge: String, bond: String, config: BondConfig, lacpStatus: String, members: [BondMemberStatus], buckets: [String]) {
        self.bridge = bridge; self.bond = bond; self.config = config; self.lacpStatus = lacpStatus; self.members = members
        self.buckets = buckets
    }
}
