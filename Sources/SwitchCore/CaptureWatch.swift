/// What one live capture selects, as the decision pipeline sees it: the frames entering (and,
/// for a port, leaving) one port, or the frames of one VLAN anywhere on the bridge. The pipeline
/// lists a capture copy for every selected frame; the datapath delivers it.
public struct CaptureWatch: Sendable, Equatable {
    /// The port watched, by id; nil: every port (then `vlan` names the VLAN watched).
    public var port: UInt32?
    /// Only frames of this VLAN (0: any).
    public var vlan: UInt16
    /// Frames arriving on the port (or entering the VLAN).
    public var incoming: Bool
    /// Frames leaving the port (a port watch only).
    public var outgoing: Bool

    public init(port: UInt32?, vlan: UInt16, incoming: Bool, outgoing: Bool) {
        self.port = port; self.vlan = vlan; self.incoming = incoming; self.outgoing = outgoing
    }
}

/// A capture watch with its port resolved to a slot of the current snapshot.
struct SlotWatch {
    /// Slot watched; `anySlot` for a VLAN watch, `absent` when the port is not on the bridge.
    var slot: Int
    var vlan: UInt16
    var incoming: Bool
    var outgoing: Bool
    static let anySlot = -1, absent = -2
}
