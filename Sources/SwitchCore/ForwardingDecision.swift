/// What the switch does with one frame.
public struct ForwardingDecision: Sendable, Equatable {
    public enum Action: UInt8, Sendable {
        case drop, unicast, flood
    }

    public var action: Action
    /// Set when `action` is `.drop`.
    public var reason: DropReason
    /// The output slot when `action` is `.unicast`.
    public var outSlot: Int
    /// For a unicast to a tunnel port: the remote VTEP learned for the destination (0: every remote).
    public var outRemote: UInt32 = 0
    /// The VLAN the frame was classified into.
    public var vlan: UInt16
    public var header: FrameHeader

    @inline(__always)
    static func drop(_ reason: DropReason, _ header: FrameHeader, vlan: UInt16 = 0) -> ForwardingDecision {
        ForwardingDecision(action: .drop, reason: reason, outSlot: -1, outRemote: 0, vlan: vlan, header: header)
    }

    static let emptyHeader = FrameHeader(destination: .zero, source: .zero, isTagged: false, tagVID: 0, tagPCP: 0)
}
