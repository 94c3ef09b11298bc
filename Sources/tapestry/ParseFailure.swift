/// Words an ArgumentParser error as the CLI's one-line `could not <verb>: <cause>`.
enum ParseFailure {
    static func line(arguments: [String], message: String) -> String {
        var cause = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: " ") }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        if let first = cause.first, first.isUppercase, cause.dropFirst().first?.isLowercase ?? false {
            cause = first.lowercased() + cause.dropFirst()
        }
        if cause.isEmpty { cause = "invalid arguments" }
        if let verb = ArgumentOrder.verb(in: arguments, known: Tapestry.verbs) { return "could not \(verb): \(cause)" }
        if let word = arguments.first, ArgumentOrder.isGlobalOption(word) {
            let valueMissing = arguments.count == 1 && !word.contains("=")
            return "could not run tapestry: " + (valueMissing ? "missing value for '\(word)'" : "no command given; see tapestry --help")
        }
        if let word = arguments.first, !word.hasPrefix("-") {
            return "could not \(word): unknown command; see tapestry --help"
        }
        return "could not run tapestry: \(cause)"
    }
}

extension Substring {
    /// The text without leading and trailing `character`s.
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var s = self
        while s.first == character { s.removeFirst() }
        while s.last == character { s.removeLast() }
        return String(s)
    }
}
