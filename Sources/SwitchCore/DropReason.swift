/// Why the switch dropped a frame. Every drop is counted per port under one of these.
public enum DropReason: UInt8, CaseIterable, Sendable, Error {
    /// Shorter than an Ethernet header (14 bytes).
    case runt = 0
    /// An 802.1Q ethertype without the 4 tag bytes after it.
    case truncatedTag
    /// A multicast or all-zero source MAC address.
    case invalidSource
    /// IEEE reserved link-local group (01:80:c2:00:00:0x): STP, LACP, LLDP and such are not forwarded.
    case reservedGroup
    /// A tagged frame arrived on an access port.
    case taggedOnAccess
    /// A trunk received a VLAN it does not allow.
    case vlanNotAllowed
    /// A trunk without a native VLAN received an untagged frame.
    case untaggedOnTrunk
    /// The destination was learned on the port the frame came in on.
    case destinationOnIngress
    /// The destination port may not talk to the ingress port (both isolated).
    case isolated
    /// The destination port does not carry the frame's VLAN.
    case egressFiltered
    /// A flood found no port to go to.
    case noOutput
    /// The output port could not take the frame (link down, buffer full).
    case txError
    /// The frame was larger than the output port can carry.
    case tooBig
    /// A VXLAN packet shorter than its header, or without the I flag, or with reserved bits set.
    case vxlanBadHeader
    /// A VXLAN packet for a VNI no port of this daemon carries.
    case vxlanUnknownVNI
    /// A VXLAN packet from an address that is not a remote of the port with that VNI.
    case vxlanUnknownRemote
    /// A GSO super-frame the software segmenter cannot split (not TCP over IPv4/IPv6).
    case unsupportedOffload
    /// A frame arrived on a port that is a mirror's output, or was addressed to one (a static MAC
    /// there): a mirror's output carries only mirrored copies.
    case mirrorOutput
    /// A priority-tagged (VID 0) frame with another VLAN tag inside: removing the priority tag
    /// would let the inner tag hop into another VLAN.
    case nestedTag
    /// The ingress or output port is not forwarding: its link is down or spanning tree blocks it.
    case notForwarding
    /// Over the port's ingress rate (`--ingress-rate`): policed.
    case policed
    /// A source MAC the port may not use (`--allowed-address`).
    case spoofedMAC
    /// ARP or a neighbour advertisement claiming an address the port may not use.
    case spoofedARP
    /// An IPv4 or IPv6 source address the port may not use.
    case spoofedIP
    /// A DHCP server message from a port that is not trusted.
    case rogueDHCP
    /// An IPv6 router advertisement or redirect from a port that is not trusted.
    case rogueRA
    /// Over the port's broadcast, multicast or unknown-unicast limit (`--storm-limit`).
    case storm
    /// Lost on purpose by the port's impairment (`--loss`).
    case impairmentLoss
    /// The port's egress shaping queue was full.
    case shaperQueueFull
    /// vhost-user: a descriptor index outside the ring, or avail.idx running ahead by more than the ring size.
    case guestBadIndex
    /// vhost-user: a buffer address range outside the guest's shared memory regions.
    case guestBadAddress
    /// vhost-user: a descriptor chain longer than the table (a loop) or with too many segments.
    case guestDescriptorLoop
    /// vhost-user: a descriptor chain larger than a frame may be.
    case guestOversize
    /// vhost-user: a buffer of the wrong direction, an indirect table (not negotiated), or a short header.
    case guestBadDescriptor
    /// vhost-user: the guest has posted no receive buffers (or not enough for the frame).
    case guestNoBuffers
    /// vhost-user: no guest is connected, or its receive queue is not started and enabled.
    case guestNotReady
    /// A bond: the frame arrived on a member that does not carry traffic (disabled, or not the active one for its kind).
    case bondInactiveMember
    /// A balance-slb bond: a frame of ours the peer switch sent back on another member (its source MAC just left by the bond).
    case bondReflection

    /// The name shown by `tapestry stats`.
    public var name: String {
        switch self {
        case .runt: "runt"
        case .truncatedTag: "truncated-tag"
        case .invalidSource: "invalid-source-mac"
        case .reservedGroup: "reserved-group"
        case .taggedOnAccess: "tagged-on-access"
        case .vlanNotAllowed: "vlan-not-allowed"
        case .untaggedOnTrunk: "untagged-on-trunk"
        case .destinationOnIngress: "destination-on-ingress"
        case .isolated: "isolated"
        case .egressFiltered: "egress-filtered"
        case .noOutput: "no-output"
        case .txError: "tx-error"
        case .tooBig: "too-big"
        case .vxlanBadHeader: "vxlan-bad-header"
        case .vxlanUnknownVNI: "vxlan-unknown-vni"
        case .vxlanUnknownRemote: "vxlan-unknown-remote"
        case .unsupportedOffload: "unsupported-offload"
        case .mirrorOutput: "mirror-output"
        case .nestedTag: "nested-tag"
        case .notForwarding: "not-forwarding"
        case .policed: "policed"
        case .spoofedMAC: "spoofed-mac"
        case .spoofedARP: "spoofed-arp"
        case .spoofedIP: "spoofed-ip"
        case .rogueDHCP: "rogue-dhcp"
        case .rogueRA: "rogue-ra"
        case .storm: "storm"
        case .impairmentLoss: "impairment-loss"
        case .shaperQueueFull: "shaper-queue-full"
        case .guestBadIndex: "guest-bad-index"
        case .guestBadAddress: "guest-bad-address"
        case .guestDescriptorLoop: "guest-descriptor-loop"
        case .guestOversize: "guest-oversize"
        case .guestBadDescriptor: "guest-bad-descriptor"
        case .guestNoBuffers: "guest-no-buffers"
        case .guestNotReady: "guest-not-ready"
        case .bondInactiveMember: "bond-inactive-member"
        case .bondReflection: "bond-reflection"
        }
    }

    public static let count = DropReason.allCases.count
}
