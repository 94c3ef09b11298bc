import CTapestryShims

/// A netdev's carrier read from the kernel at once (`ethtool IF` "Link detected:" and the admin state),
/// not from a netlink notification: the kernel sends a carrier change that is not urgent to it (a veth
/// whose peer went down) through linkwatch, at most one batch a second across the host, so a busy host
/// may report it up to a second late. Reading the carrier also makes the kernel send that notification.
public enum LinkCarrier {
    /// Whether netdev `ifindex` in the namespace of socket `fd` is up with carrier; nil when it cannot
    /// be told (no such netdev, a driver without a link state).
    public static func isRunning(socket fd: Int32, ifindex: Int32) -> Bool? {
        switch tp_netdev_running(fd, ifindex) {
        case 0: false
        case 1: true
        default: nil
        }
    }
}
