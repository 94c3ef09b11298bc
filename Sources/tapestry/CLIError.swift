/// A refusal or failure ready for the user: one line of the form `could not <verb> <object>: <cause>`.
struct CLIError: Error, CustomStringConvertible {
    /// The whole line, without a trailing newline.
    let message: String

    init(message: String) { self.message = message }

    var description: String { message }
}
