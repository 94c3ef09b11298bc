/// The queues of one vhost-user device as the datapath serves them: the guest's receive queues
/// (vrings 0, 2, …) and transmit queues (1, 3, …) that are started and enabled, over one memory
/// map, with the negotiated header layout and offloads. Replaced whole when the front-end changes
/// anything; used by one datapath thread.
public final class VhostUserQueues: @unchecked Sendable {
    public let memory: GuestMemory
    public let receive: [SplitVirtqueue]
    public let transmit: [SplitVirtqueue]
    /// The guest's virtio-net header: 12 bytes with VERSION_1 or MRG_RXBUF, else 10.
    public let headerLength: Int
    public let mergeable: Bool
    /// The guest takes frames with unfinished checksums (GUEST_CSUM) / TCP super-frames (GUEST_TSO4/6).
    public let guestChecksum: Bool
    public let guestTSO4: Bool
    public let guestTSO6: Bool
    /// The guest may send unfinished checksums (CSUM) / super-frames (HOST_TSO4/6).
    public let hostChecksum: Bool
    public let hostTSO: Bool

    public init(memory: GuestMemory, receive: [SplitVirtqueue], transmit: [SplitVirtqueue], features: UInt64) {
        typealias F = VhostUserFeatures
        self.memory = memory; self.receive = receive; self.transmit = transmit
        mergeable = features & F.netMrgRxbuf != 0
        headerLength = features & (F.version1 | F.netMrgRxbuf) != 0 ? 12 : 10
        guestChecksum = features & F.netGuestCsum != 0
        guestTSO4 = guestChecksum && features & F.netGuestTSO4 != 0
        guestTSO6 = guestChecksum && features & F.netGuestTSO6 != 0
        hostChecksum = features & F.netCsum != 0
        hostTSO = hostChecksum && features & (F.netHostTSO4 | F.netHostTSO6) != 0
        // The guest is asked never to kick its receive queues: nothing watches those kicks (a frame
        // for the guest takes the buffers posted by then, or is counted as a drop), and a guest that
        // kicks makes a system call (virtio-user) or a VM exit (a virtio-net device) per refill.
        for q in receive { q.disableKicks() }
    }

    /// Every queue, receive and transmit.
    public var all: [SplitVirtqueue] { receive + transmit }
}
