/// A bond port's settings: the system netdevs it aggregates and how (`add-bond`, Open vSwitch's
/// Port `bond_mode`, `lacp`, `other_config:lacp-time`, `bond_updelay`, `bond_downdelay`).
public struct BondConfig: Codable, Sendable, Equatable {
    /// How frames are spread over the members.
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case activeBackup = "active-backup", balanceSLB = "balance-slb", balanceTCP = "balance-tcp"
    }
    /// Whether the bond negotiates with LACP (802.1AX).
    public enum LACP: String, Codable, Sendable, CaseIterable {
        case off, active, passive
    }
    /// How often LACPDUs are asked for: every second (fast) or every 30 s (slow).
    public enum Rate: String, Codable, Sendable, CaseIterable {
        case fast, slow
    }

    public static let delayRange = 0...600_000
    public static let maxMembers = 8

    /// The members: existing netdevs in the daemon's namespace, attached through AF_PACKET.
    public var members: [String]
    public var mode: Mode
    public var lacp: LACP
    public var lacpRate: Rate
    /// Milliseconds a member's carrier must be up before it carries traffic.
    public var updelay: Int
    /// Milliseconds a member's carrier must be down before its traffic moves to the others.
    public var downdelay: Int

    public init(members: [String], mode: Mode = .activeBackup, lacp: LACP = .off, lacpRate: Rate = .slow, updelay: Int = 0,
                downdelay: Int = 0) {
        self.members = members; self.mode = mode; self.lacp = lacp; self.lacpRate = lacpRate
        self.updelay = updelay; self.downdelay = downdelay
    }

    public func validate(port: String) throws(ModelError) {
        let what = "bond \(port)"
        guard members.count >= 2 else { throw ModelError("\(what): a bond needs at least two members, got \(members.count)") }
        guard members.count <= BondConfig.maxMembers else {
            throw ModelError("\(what): at most \(BondConfig.maxMembers) members, got \(members.count)")
        }
        for m in members { try InterfaceName.validate(m, what: "\(what): member name") }
        var seen = Set<String>()
        for m in members {
            guard seen.insert(m).inserted else { throw ModelError("\(what): member \(m) is listed twice") }
            guard m != port else { throw ModelError("\(what): a bond cannot be its own member") }
        }
        if mode == .balanceTCP && lacp == .off {
            throw ModelError("\(what): balance-tcp needs LACP (--lacp active or passive)")
        }
        guard BondConfig.delayRange.contains(updelay) else { throw ModelError("\(what): --updelay \(updelay) ms out of range 0-600000") }
        guard BondConfig.delayRange.contains(downdelay) else {
            throw ModelError("\(what): --downdelay \(downdelay) ms out of range 0-600000")
        }
    }
}
