/// A static route: destination subnet, next hop and metric (a network's `<route>`, installed on its bridge).
public struct IPRoute: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The destination subnet.
    public var destination: IPNetwork
    /// The next hop.
    public var gateway: IPAddress
    /// The metric (route priority); nil is the kernel's default (0 for IPv4, 1024 for IPv6).
    public var metric: UInt32?

    /// Creates a route.
    public init(destination: IPNetwork, gateway: IPAddress, metric: UInt32? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.metric = metric
    }

    /// `ip route` wording: `10.9.0.0/24 via 192.168.122.2 metric 5`.
    public var description: String {
        "\(destination) via \(gateway)" + (metric.map { " metric \($0)" } ?? "")
    }

    public static func < (a: IPRoute, b: IPRoute) -> Bool {
        (a.destination, a.gateway, a.metric ?? 0) < (b.destination, b.gateway, b.metric ?? 0)
    }
}
