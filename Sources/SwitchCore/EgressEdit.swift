/// What must happen to a frame's tag as it leaves one port. The datapath does this with
/// scatter-gather writes (no copy); `apply(to:)` does it on an array for tests.
public enum EgressEdit: Sendable, Equatable {
    /// Send the bytes as they came in.
    case none
    /// Insert a tag with this TCI after the source MAC.
    case push(tci: UInt16)
    /// Remove the tag.
    case pop
    /// Replace the existing tag's TCI (a priority-tagged frame leaving on a tagged VLAN).
    case retag(tci: UInt16)

    /// The edit that turns a frame of `vlan` (which arrived with `header`) into what `policy` sends.
    @inline(__always)
    public static func forEgress(vlan: UInt16, header: FrameHeader, policy: VLANPolicy) -> EgressEdit {
        forEgress(vlan: vlan, header: header, tagged: policy.egressTagged(vlan))
    }

    /// The edit for a frame of `vlan` that must leave `tagged` or untagged (the PCP is kept).
    @inline(__always)
    public static func forEgress(vlan: UInt16, header: FrameHeader, tagged: Bool) -> EgressEdit {
        let tci = UInt16(header.tagPCP) << 13 | vlan
        if tagged {
            if !header.isTagged { return .push(tci: tci) }
            return header.tagVID == vlan ? .none : .retag(tci: tci)
        }
        return header.isTagged ? .pop : .none
    }

    /// Whether a frame that arrived with `header` carries a tag once edited.
    public func leavesTagged(_ header: FrameHeader) -> Bool {
        switch self {
        case .push, .retag: true
        case .pop: false
        case .none: header.isTagged
        }
    }

    /// The change in length this edit makes.
    public var lengthDelta: Int {
        switch self {
        case .none, .retag: 0
        case .push: 4
        case .pop: -4
        }
    }

    /// The frame as it leaves: used by tests and slow paths.
    public func apply(to frame: [UInt8]) -> [UInt8] {
        switch self {
        case .none: return frame
        case .push(let tci):
            return Array(frame[0..<12]) + [0x81, 0x00, UInt8(tci >> 8), UInt8(tci & 0xFF)] + Array(frame[12...])
        case .pop: return Array(frame[0..<12]) + Array(frame[16...])
        case .retag(let tci):
            var f = frame
            f[14] = UInt8(tci >> 8); f[15] = UInt8(tci & 0xFF)
            return f
        }
    }
}
