/// Feature bits of virtio, virtio-net and the vhost-user protocol, and the sets Tapestry offers.
public enum VhostUserFeatures {
    // virtio-net device features
    public static let netCsum: UInt64 = 1 << 0
    public static let netGuestCsum: UInt64 = 1 << 1
    public static let netGuestTSO4: UInt64 = 1 << 7
    public static let netGuestTSO6: UInt64 = 1 << 8
    public static let netGuestECN: UInt64 = 1 << 9
    public static let netHostTSO4: UInt64 = 1 << 11
    public static let netHostTSO6: UInt64 = 1 << 12
    public static let netHostECN: UInt64 = 1 << 13
    public static let netMrgRxbuf: UInt64 = 1 << 15
    public static let netMQ: UInt64 = 1 << 22
    // transport features
    public static let notifyOnEmpty: UInt64 = 1 << 24
    public static let anyLayout: UInt64 = 1 << 27
    public static let ringEventIdx: UInt64 = 1 << 29
    /// VHOST_USER_F_PROTOCOL_FEATURES: the protocol-feature messages exist; rings start disabled.
    public static let protocolFeatures: UInt64 = 1 << 30
    public static let version1: UInt64 = 1 << 32
    /// VIRTIO_F_IN_ORDER: the device uses buffers in the order they were made available (Tapestry
    /// always does), so a driver may skip reading used entries it can infer (DPDK's virtio takes its
    /// in-order paths then).
    public static let inOrder: UInt64 = 1 << 35

    /// What the back-end offers in GET_FEATURES.
    public static let offered: UInt64 = netCsum | netGuestCsum | netGuestTSO4 | netGuestTSO6 | netGuestECN
        | netHostTSO4 | netHostTSO6 | netHostECN | netMrgRxbuf | netMQ | notifyOnEmpty | anyLayout
        | ringEventIdx | protocolFeatures | version1 | inOrder

    // protocol features (GET/SET_PROTOCOL_FEATURES)
    public static let protocolMQ: UInt64 = 1 << 0
    public static let protocolReplyAck: UInt64 = 1 << 3
    public static let protocolOffered: UInt64 = protocolMQ | protocolReplyAck

    /// The most queue pairs a front-end may use (GET_QUEUE_NUM).
    public static let maxQueuePairs = 8

    /// Names of the set bits of `features`, for `show`.
    public static func names(_ features: UInt64) -> [String] {
        let known: [(UInt64, String)] = [
            (netCsum, "csum"), (netGuestCsum, "guest-csum"), (netGuestTSO4, "guest-tso4"), (netGuestTSO6, "guest-tso6"),
            (netGuestECN, "guest-ecn"), (netHostTSO4, "host-tso4"), (netHostTSO6, "host-tso6"), (netHostECN, "host-ecn"),
            (netMrgRxbuf, "mrg-rxbuf"), (netMQ, "mq"), (notifyOnEmpty, "notify-on-empty"), (anyLayout, "any-layout"),
            (ringEventIdx, "event-idx"), (protocolFeatures, "protocol-features"), (version1, "version-1"),
            (inOrder, "in-order"),
        ]
        return known.filter { features & $0.0 != 0 }.map(\.1)
    }

    /// Names of the set protocol-feature bits.
    public static func protocolNames(_ features: UInt64) -> [String] {
        [(protocolMQ, "mq"), (protocolReplyAck, "reply-ack")].filter { features & $0.0 != 0 }.map(\.1)
    }
}
