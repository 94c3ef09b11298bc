/// An error in a model value or desired-state change, with a message for users.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
