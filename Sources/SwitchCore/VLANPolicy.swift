import TapestryModel

/// A port's 802.1Q rules in the form the fast path uses: classify on ingress, tag or not on egress.
public struct VLANPolicy: Sendable, Equatable {
    /// The VLANs the port carries.
    public let members: VLANSet
    /// The VLAN of untagged (and priority-tagged) frames; 0 when the port takes no untagged frames.
    public let untaggedVLAN: UInt16
    /// Whether frames of `untaggedVLAN` leave untagged.
    public let untaggedEgress: Bool
    /// Access ports refuse tagged frames.
    public let isAccess: Bool

    public init(_ mode: VLANMode) {
        switch mode {
        case .access(let vid):
            members = VLANSet([vid]); untaggedVLAN = vid.value; untaggedEgress = true; isAccess = true
        case .trunk(let allowed, let native, let nativeMode):
            var m = allowed
            if let native { m.insert(native) }
            members = m
            untaggedVLAN = native?.value ?? 0
            untaggedEgress = native != nil && nativeMode == .untagged
            isAccess = false
        }
    }

    /// The VLAN a frame belongs to on arrival here, or the reason it is dropped.
    @inline(__always)
    public func classify(_ header: FrameHeader) -> Result<UInt16, DropReason> {
        VLANPolicy.classify(header, isAccess: isAccess, untaggedVLAN: untaggedVLAN) { members.contains($0) }
    }

    /// The 802.1Q ingress rule, over a port's facts in whatever form the caller keeps them (the
    /// decision pipeline passes its packed per-slot facts and membership bitmap): a tagged frame
    /// (VID ≠ 0) keeps its VLAN if the port allows it; untagged and priority-tagged frames belong to
    /// the port's untagged VLAN.
    @inline(__always)
    public static func classify(_ header: FrameHeader, isAccess: Bool, untaggedVLAN: UInt16,
                                carries: (UInt16) -> Bool) -> Result<UInt16, DropReason> {
        if header.isTagged && header.tagVID != 0 {
            if isAccess { return .failure(.taggedOnAccess) }
            guard carries(header.tagVID) else { return .failure(.vlanNotAllowed) }
            return .success(header.tagVID)
        }
        guard untaggedVLAN != 0 else { return .failure(.untaggedOnTrunk) }
        // A priority tag wrapped around another tag would hop VLANs once the priority tag is
        // removed on an untagged egress: such a frame belongs to no VLAN here.
        if header.isTagged && header.hasInnerTag { return .failure(.nestedTag) }
        return .success(untaggedVLAN)
    }

    @inline(__always)
    public func carries(_ vlan: UInt16) -> Bool { members.contains(vlan) }

    /// True when frames of `vlan` leave this port with a tag.
    @inline(__always)
    public func egressTagged(_ vlan: UInt16) -> Bool { !(untaggedEgress && vlan == untaggedVLAN) }
}
