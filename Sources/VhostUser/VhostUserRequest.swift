/// The front-end → back-end requests of the vhost-user protocol (QEMU docs/interop/vhost-user.rst).
/// Only the ones Tapestry answers are named; any other number is kept as `.other`.
public enum VhostUserRequest: Equatable, Sendable {
    case getFeatures, setFeatures, setOwner, resetOwner, setMemTable, setLogBase, setLogFD
    case setVringNum, setVringAddr, setVringBase, getVringBase, setVringKick, setVringCall, setVringErr
    case getProtocolFeatures, setProtocolFeatures, getQueueNum, setVringEnable, sendRARP, netSetMTU
    case other(UInt32)

    private static let table: [(UInt32, VhostUserRequest)] = [
        (1, .getFeatures), (2, .setFeatures), (3, .setOwner), (4, .resetOwner), (5, .setMemTable), (6, .setLogBase),
        (7, .setLogFD), (8, .setVringNum), (9, .setVringAddr), (10, .setVringBase), (11, .getVringBase),
        (12, .setVringKick), (13, .setVringCall), (14, .setVringErr), (15, .getProtocolFeatures),
        (16, .setProtocolFeatures), (17, .getQueueNum), (18, .setVringEnable), (19, .sendRARP), (20, .netSetMTU),
    ]

    public init(code: UInt32) {
        self = VhostUserRequest.table.first { $0.0 == code }?.1 ?? .other(code)
    }

    public var code: UInt32 {
        if case .other(let c) = self { return c }
        return VhostUserRequest.table.first { $0.1 == self }?.0 ?? 0
    }

    /// The name as the spec writes it (for logs and errors).
    public var name: String {
        switch self {
        case .getFeatures: "GET_FEATURES"
        case .setFeatures: "SET_FEATURES"
        case .setOwner: "SET_OWNER"
        case .resetOwner: "RESET_OWNER"
        case .setMemTable: "SET_MEM_TABLE"
        case .setLogBase: "SET_LOG_BASE"
        case .setLogFD: "SET_LOG_FD"
        case .setVringNum: "SET_VRING_NUM"
        case .setVringAddr: "SET_VRING_ADDR"
        case .setVringBase: "SET_VRING_BASE"
        case .getVringBase: "GET_VRING_BASE"
        case .setVringKick: "SET_VRING_KICK"
        case .setVringCall: "SET_VRING_CALL"
        case .setVringErr: "SET_VRING_ERR"
        case .getProtocolFeatures: "GET_PROTOCOL_FEATURES"
        case .setProtocolFeatures: "SET_PROTOCOL_FEATURES"
        case .getQueueNum: "GET_QUEUE_NUM"
        case .setVringEnable: "SET_VRING_ENABLE"
        case .sendRARP: "SEND_RARP"
        case .netSetMTU: "NET_SET_MTU"
        case .other(let c): "request \(c)"
        }
    }
}
