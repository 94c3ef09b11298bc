import CTapestryShims
import SwitchCore

extension EgressEdit {
    /// The edit as the C shim's TP_EDIT_* kind and tag.
    @inline(__always)
    var shim: (kind: Int32, tci: UInt16) {
        switch self {
        case .none: (Int32(TP_EDIT_NONE), 0)
        case .push(let t): (Int32(TP_EDIT_PUSH), t)
        case .pop: (Int32(TP_EDIT_POP), 0)
        case .retag(let t): (Int32(TP_EDIT_RETAG), t)
        }
    }

    /// The edit of a shim kind and tag.
    @inline(__always)
    init(shim kind: Int32, tci: UInt16) {
        switch kind {
        case Int32(TP_EDIT_PUSH): self = .push(tci: tci)
        case Int32(TP_EDIT_POP): self = .pop
        case Int32(TP_EDIT_RETAG): self = .retag(tci: tci)
        default: self = .none
        }
    }
}
