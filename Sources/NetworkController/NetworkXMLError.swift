/// The one error type of the NetworkController module: bad network XML, a bad value in it,
/// or a `net-update` that cannot be applied. The message names the element and the cause.
public struct NetworkXMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The full human-readable message, e.g.
    /// `invalid network XML: <ip address='x'>: not an IP address`.
    public let message: String

    /// Creates an error with a complete message.
    public init(message: String) {
        self.message = message
    }

    /// An input error located at `element` (written like `<ip address='x'>`).
    public static func invalid(_ element: String, _ reason: String) -> NetworkXMLError {
        NetworkXMLError(message: "invalid network XML: \(element): \(reason)")
    }

    /// A document that is not well-formed XML or not a `<network>`.
    public static func malformed(_ reason: String) -> NetworkXMLError {
        NetworkXMLError(message: "invalid network XML: \(reason)")
    }

    /// A `net-update` that cannot be applied to network `network`.
    public static func update(_ network: String, _ section: String, _ reason: String) -> NetworkXMLError {
        NetworkXMLError(message: "could not update \(section) of network '\(network)': \(reason)")
    }

    public var description: String { message }
}
