import CTapestryShims

/// A netdev's duplex as its driver reports it (`ethtool IF` "Duplex:"). A half-duplex link is a
/// shared medium to the spanning tree (not point-to-point: no rapid proposal/agreement on it).
public enum LinkDuplex: Sendable, Equatable {
    case full, half, unknown

    /// Asks the driver of `name` in the calling thread's namespace; `unknown` when it does not say
    /// (no such netdev, no ethtool support, or the driver's own "unknown").
    public static func of(_ name: String) -> LinkDuplex {
        switch tp_netdev_duplex(name) {
        case 0: .half
        case 1: .full
        default: .unknown
        }
    }
}
