/// Why an ovs-vsctl invocation was refused: one line for the user, printed after `ovs-vsctl: `.
public struct OVSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The exit status (1, or 2 for `br-exists` of a missing bridge).
    public let status: Int32
    public init(_ message: String, status: Int32 = 1) { self.message = message; self.status = status }
    public var description: String { message }
}
