/// One thing the datapath does with a frame of a batch, as the decision pipeline chose it: send
/// it out of a port (with a tag edit, and for a tunnel port to one remote VTEP or to all), send a
/// mirror copy, or hand a copy to a capture. A frame's outputs are listed in the order they are
/// to be done (capture copies of what arrives, then per output port its capture copy and the
/// frame itself, then mirror copies), so the datapath walks them front to back.
public struct FrameOutput: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// The frame itself leaves through port slot `target`.
        case forward
        /// An unedited copy leaves through the mirror output at slot `target`.
        case mirror
        /// A copy of the frame as it arrived goes to capture watch `target`.
        case captureIncoming
        /// A copy of the frame as it leaves (with `edit`) goes to capture watch `target`.
        case captureOutgoing
        /// The frame goes to the bridge's control plane (a spanning tree BPDU); `target` is the ingress slot.
        case control
        /// The frame the bridge generated for it (`FrameBatch.reply(i)`, an ARP reply) leaves through
        /// `target`, the port the frame came in by, with `edit`; the frame itself goes nowhere.
        case reply
        /// A copy of the bridge's reply (`FrameBatch.reply(i)`, with `edit`) goes to capture watch
        /// `target` (a capture of the ingress port's outgoing frames).
        case captureReply
    }

    /// The port slot (forward, mirror) or the index of the capture watch (captures), as given to
    /// `BridgeEngine.setCaptureWatches`.
    public var target: Int32
    /// For a forward out of a tunnel port: the `TunnelRemoteKey` of the remote VTEP learned for the destination (0: every remote).
    public var remote: UInt32
    /// The tag edit to make on the way out (for a capture copy: how the copy is to be tagged).
    public var edit: EgressEdit
    public var kind: Kind

    @inline(__always)
    public init(kind: Kind, target: Int32, edit: EgressEdit = .none, remote: UInt32 = 0) {
        self.kind = kind; self.target = target; self.edit = edit; self.remote = remote
    }
}
