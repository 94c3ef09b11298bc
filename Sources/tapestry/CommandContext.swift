import ControlProtocol

/// What a command is doing, so every error can say `could not <verb> <object>: <cause>`.
struct CommandContext: Sendable {
    /// The verb as typed, e.g. `add-port`.
    let verb: String
    /// The thing acted on (a bridge, port or MAC), when there is one.
    let object: String?

    init(verb: String, object: String? = nil) { self.verb = verb; self.object = object }

    /// An error naming the verb, the object and `cause`.
    func refuse(_ cause: String) -> CLIError {
        if let object, !object.isEmpty { return CLIError(message: "could not \(verb) \(object): \(cause)") }
        return CLIError(message: "could not \(verb): \(cause)")
    }

    /// The message to show for a failed call: connection failures and daemon messages that already
    /// read `could not ...` stand as they are; everything else is framed with the verb and object.
    func failure(from error: ControlClientError) -> CLIError {
        let text = error.description
        if text.hasPrefix("could not ") { return CLIError(message: text) }
        return refuse(text)
    }
}
