/// A spanning tree priority vector (802.1D-2004 17.6): compared component by component, lower is better.
public struct PriorityVector: Comparable, Hashable, Sendable {
    public var root: BridgeIdentifier
    public var rootPathCost: UInt32
    public var designatedBridge: BridgeIdentifier
    public var designatedPort: PortIdentifier
    /// The port on which the vector was received (or this port, for a designated vector).
    public var bridgePort: PortIdentifier

    public init(root: BridgeIdentifier, rootPathCost: UInt32, designatedBridge: BridgeIdentifier,
                designatedPort: PortIdentifier, bridgePort: PortIdentifier) {
        self.root = root; self.rootPathCost = rootPathCost; self.designatedBridge = designatedBridge
        self.designatedPort = designatedPort; self.bridgePort = bridgePort
    }

    public static func < (a: PriorityVector, b: PriorityVector) -> Bool {
        if a.root != b.root { return a.root < b.root }
        if a.rootPathCost != b.rootPathCost { return a.rootPathCost < b.rootPathCost }
        if a.designatedBridge != b.designatedBridge { return a.designatedBridge < b.designatedBridge }
        if a.designatedPort != b.designatedPort { return a.designatedPort < b.designatedPort }
        return a.bridgePort < b.bridgePort
    }

    /// Whether both name the same sender (designated bridge and port).
    func sameSender(_ o: PriorityVector) -> Bool { designatedBridge == o.designatedBridge && designatedPort == o.designatedPort }
}

/// The timer values a BPDU carries, in whole seconds (as RSTP uses them).
public struct STPTimes: Equatable, Sendable {
    public var messageAge: Int
    public var maxAge: Int
    public var hello: Int
    public var forwardDelay: Int
    public init(messageAge: Int, maxAge: Int, hello: Int, forwardDelay: Int) {
        self.messageAge = messageAge; self.maxAge = maxAge; self.hello = hello; self.forwardDelay = forwardDelay
    }
}
