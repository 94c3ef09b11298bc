import Foundation

/// Prints a value as pretty, key-sorted JSON (`--format json`).
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws(CLIError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            Swift.print(String(decoding: data, as: UTF8.self))
        } catch {
            throw CLIError(message: "could not print JSON: \(error)")
        }
    }
}
