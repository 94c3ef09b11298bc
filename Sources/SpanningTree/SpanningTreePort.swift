/// Where a port's priority vector came from (802.1D-2004 17.19.10 infoIs).
enum STPInfoOrigin: Sendable { case disabled, received, mine, aged }

/// One port of a `SpanningTree`: its settings, role and state, the variables of the 802.1D-2004
/// state machines it needs (as deadlines on the injected clock, in ms) and its counters.
public struct SpanningTreePort: Sendable {
    public let name: String
    public let number: Int
    public var settings: STPPortSettings
    public var identifier: PortIdentifier { PortIdentifier(priority: settings.priority, number: number) }

    /// Link up (from the link monitor).
    public internal(set) var linkUp = true
    /// Shut by BPDU guard (until the port is re-enabled by configuration).
    public internal(set) var guardShut = false
    public var isEnabled: Bool { linkUp && !guardShut }

    public internal(set) var role: STPPortRole = .disabled
    public internal(set) var state: STPPortState = .discarding
    public internal(set) var operEdge = false
    /// false once a legacy (802.1D-1998) peer was heard: configuration and TCN BPDUs are sent.
    public internal(set) var sendRSTP = true

    var info: STPInfoOrigin = .disabled
    var portVector: PriorityVector?
    var portTimes = STPTimes(messageAge: 0, maxAge: 20, hello: 2, forwardDelay: 15)
    var designatedVector: PriorityVector?
    var rcvdInfoUntil: Int64 = 0
    var fdUntil: Int64 = 0
    var rrUntil: Int64 = 0
    var tcUntil: Int64 = 0
    var helloNext: Int64 = 0
    var mdelayUntil: Int64 = 0
    var proposing = false, proposed = false, agree = false, agreed = false
    var sync = false, synced = false, reRoot = false
    var newInfo = false, tcAck = false, tcnAcked = false
    var txCount = 0, txWindowStart: Int64 = 0

    public internal(set) var counters = STPPortCounters()

    init(name: String, number: Int, settings: STPPortSettings) {
        self.name = name; self.number = number; self.settings = settings
        operEdge = settings.edge
    }

    var learn: Bool { state != .discarding }
    var forward: Bool { state == .forwarding }
}

/// BPDUs and events counted per port (`tapestry stp-show`, metrics).
public struct STPPortCounters: Equatable, Sendable {
    public var rxRST: UInt64 = 0
    public var rxConfig: UInt64 = 0
    public var rxTCN: UInt64 = 0
    public var rxBad: UInt64 = 0
    public var txRST: UInt64 = 0
    public var txConfig: UInt64 = 0
    public var txTCN: UInt64 = 0
    public var forwardTransitions: UInt64 = 0
    public var topologyChanges: UInt64 = 0
    public init() {}
}
