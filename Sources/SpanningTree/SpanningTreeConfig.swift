/// Which protocol a bridge runs: RSTP (802.1w / 802.1D-2004, falls back per port to STP for a
/// legacy peer) or legacy STP (802.1D-1998: configuration and TCN BPDUs, forward-delay timers only).
public enum STPProtocol: String, Sendable, Codable, CaseIterable {
    case rstp, stp
}

/// A bridge's spanning tree settings (802.1D-2004 17.13/17.14 ranges).
public struct STPBridgeSettings: Equatable, Sendable {
    public var proto: STPProtocol
    /// Multiple of 4096, 0…61440.
    public var priority: UInt16
    public var hello: Int
    public var maxAge: Int
    public var forwardDelay: Int
    /// BPDUs per second at most per port.
    public var transmitHoldCount: Int

    public init(proto: STPProtocol = .rstp, priority: UInt16 = 32768, hello: Int = 2, maxAge: Int = 20, forwardDelay: Int = 15,
                transmitHoldCount: Int = 6) {
        self.proto = proto; self.priority = priority; self.hello = hello; self.maxAge = maxAge
        self.forwardDelay = forwardDelay; self.transmitHoldCount = transmitHoldCount
    }

    /// The reason these values are not allowed, or nil.
    public var problem: String? {
        if priority % 4096 != 0 { return "bridge priority \(priority) is not a multiple of 4096 (0…61440)" }
        if !(1...10).contains(hello) { return "hello time \(hello) is outside 1…10 s" }
        if !(6...40).contains(maxAge) { return "max age \(maxAge) is outside 6…40 s" }
        if !(4...30).contains(forwardDelay) { return "forward delay \(forwardDelay) is outside 4…30 s" }
        if 2 * (forwardDelay - 1) < maxAge { return "max age \(maxAge) is more than 2 × (forward delay − 1) = \(2 * (forwardDelay - 1))" }
        if maxAge < 2 * (hello + 1) { return "max age \(maxAge) is less than 2 × (hello + 1) = \(2 * (hello + 1))" }
        return nil
    }
}

/// One port's spanning tree settings.
public struct STPPortSettings: Equatable, Sendable {
    /// Multiple of 16, 0…240.
    public var priority: UInt8
    /// 1…200,000,000 (802.1D-2004 17.14 recommends 20,000 for 1 Gb/s).
    public var pathCost: UInt32
    /// An edge port (a VM, no bridge behind it) forwards at once; a BPDU makes it a normal port.
    public var edge: Bool
    /// Shut the port when a BPDU arrives on it (for edge ports facing VMs).
    public var bpduGuard: Bool
    /// Point-to-point link (proposal/agreement allowed); nil: auto (every Tapestry link is).
    public var pointToPoint: Bool?

    public init(priority: UInt8 = 128, pathCost: UInt32 = 20000, edge: Bool = false, bpduGuard: Bool = false,
                pointToPoint: Bool? = nil) {
        self.priority = priority; self.pathCost = pathCost; self.edge = edge; self.bpduGuard = bpduGuard
        self.pointToPoint = pointToPoint
    }
}

/// The role a port has in the tree (802.1D-2004 17.7).
public enum STPPortRole: String, Sendable, Codable {
    case disabled, root, designated, alternate, backup
}

/// A port's spanning tree state (17.4): discarding (blocking/listening), learning, forwarding.
public enum STPPortState: String, Sendable, Codable {
    case discarding, learning, forwarding
}
