/// What `show` and `stats` print about a vhost-user port.
public struct VhostUserStatus: Sendable, Equatable {
    public var connected = false
    public var features: UInt64 = 0
    public var protocolFeatures: UInt64 = 0
    public var receiveQueues = 0
    public var transmitQueues = 0
    public var connections = 0
    public var lastError: String?

    public init() {}
}
