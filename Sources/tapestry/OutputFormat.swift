import ArgumentParser

/// How commands that show something print it: aligned text for people, or JSON for scripts.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table, json
}
