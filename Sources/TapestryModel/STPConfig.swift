/// Which spanning tree protocol a bridge runs (`set-br --stp rstp|stp|off`; off is no config).
public enum STPMode: String, Codable, Sendable, CaseIterable {
    case rstp, stp
}

/// A bridge's spanning tree settings (802.1D-2004 ranges; seconds).
public struct BridgeSTPConfig: Codable, Sendable, Equatable {
    public var mode: STPMode
    /// Multiple of 4096, 0…61440 (lower wins the root election).
    public var priority: Int
    public var hello: Int
    public var maxAge: Int
    public var forwardDelay: Int

    public init(mode: STPMode, priority: Int = 32768, hello: Int = 2, maxAge: Int = 20, forwardDelay: Int = 15) {
        self.mode = mode; self.priority = priority; self.hello = hello; self.maxAge = maxAge; self.forwardDelay = forwardDelay
    }

    public func validate(bridge: String) throws(ModelError) {
        let what = "bridge \(bridge): spanning tree"
        guard (0...61440).contains(priority), priority % 4096 == 0 else {
            throw ModelError("\(what) priority \(priority) must be a multiple of 4096 in 0-61440")
        }
        guard (1...10).contains(hello) else { throw ModelError("\(what) hello time \(hello) s out of range 1-10") }
        guard (6...40).contains(maxAge) else { throw ModelError("\(what) max age \(maxAge) s out of range 6-40") }
        guard (4...30).contains(forwardDelay) else { throw ModelError("\(what) forward delay \(forwardDelay) s out of range 4-30") }
        guard maxAge <= 2 * (forwardDelay - 1) else {
            throw ModelError("\(what) max age \(maxAge) s exceeds 2 × (forward delay − 1) = \(2 * (forwardDelay - 1)) s")
        }
        guard maxAge >= 2 * (hello + 1) else {
            throw ModelError("\(what) max age \(maxAge) s is below 2 × (hello + 1) = \(2 * (hello + 1)) s")
        }
    }
}

/// Whether a port's link is point-to-point (allows the RSTP proposal/agreement handshake).
public enum STPPointToPoint: String, Codable, Sendable, CaseIterable {
    case auto, yes, no
}

/// A port's spanning tree settings; each unset field takes its default.
public struct PortSTPConfig: Codable, Sendable, Equatable {
    /// Path cost 1-200000000 (default 20000, 1 Gb/s).
    public var cost: Int?
    /// Multiple of 16, 0-240 (default 128).
    public var priority: Int?
    /// Edge port (no bridge behind it): forwards at once. Default: yes for tap and internal ports (VMs), no otherwise.
    public var edge: Bool?
    /// Shut the port when a BPDU arrives.
    public var bpduGuard: Bool?
    public var p2p: STPPointToPoint?

    public init(cost: Int? = nil, priority: Int? = nil, edge: Bool? = nil, bpduGuard: Bool? = nil, p2p: STPPointToPoint? = nil) {
        self.cost = cost; self.priority = priority; self.edge = edge; self.bpduGuard = bpduGuard; self.p2p = p2p
    }

    public var isEmpty: Bool { cost == nil && priority == nil && edge == nil && bpduGuard == nil && p2p == nil }

    public func validate(port: String) throws(ModelError) {
        if let cost, !(1...200_000_000).contains(cost) { throw ModelError("port \(port): --stp-cost \(cost) out of range 1-200000000") }
        if let priority, !(0...240).contains(priority) || priority % 16 != 0 {
            throw ModelError("port \(port): --stp-priority \(priority) must be a multiple of 16 in 0-240")
        }
    }
}
