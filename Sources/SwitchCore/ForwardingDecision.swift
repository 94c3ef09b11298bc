/// What the decision pipeline decided for one frame (its outputs are listed beside it in the
/// `FrameBatch`).
public struct ForwardingDecision: Sendable, Equatable {
    public enum Action: UInt8, Sendable {
        case drop, unicast, flood
        /// Taken out of the fast path for the bridge's control plane (a spanning tree BPDU while
        /// the bridge runs STP); listed as one `.control` output.
        case control
        /// Answered by the bridge itself (ARP suppression: a broadcast ARP request for a bound IP);
        /// listed as one `.reply` output, the generated frame in the batch (`FrameBatch.reply`).
        case answered
    }

    public var action: Action
    /// Set when `action` is `.drop`.
    public var reason: DropReason
    /// The output slot when `action` is `.unicast`.
    public var outSlot: Int
    /// For a unicast to a tunnel port: the remote learned for the destination (0: every remote).
    public var outRemote: UInt32 = 0
    /// The VLAN the frame was classified into (0 when it was dropped before).
    public var vlan: UInt16
    public var header: FrameHeader
    /// The learning update the frame made: its source (`header.source`, `vlan`) was learned on the
    /// ingress port (behind the remote VTEP it came from), or refreshed there.
    public var learned: Bool = false

    /// Whether the frame is switched (sent on to ports), as opposed to dropped or trapped.
    @inline(__always)
    public var isForwarded: Bool { action == .unicast || action == .flood }

    @inline(__always)
    static func drop(_ reason: DropReason, _ header: FrameHeader, vlan: UInt16 = 0, learned: Bool = false) -> ForwardingDecision {
        ForwardingDecision(action: .drop, reason: reason, outSlot: -1, outRemote: 0, vlan: vlan, header: header, learned: learned)
    }

    static let emptyHeader = FrameHeader(destination: .zero, source: .zero, isTagged: false, tagVID: 0, tagPCP: 0)
}
