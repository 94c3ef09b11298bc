import Foundation

/// `/etc/tapestry/tapestryd.conf`: the daemon's command-line options as a file, one `key = value`
/// a line (`#` starts a comment). Keys are the long option names without their dashes; flags take
/// `true` or `false`. The file becomes arguments placed before the real command line, so a flag
/// given on the command line wins.
public struct DaemonConfigFile: Sendable {
    /// The file read when `--config` is not given; a missing default file is not an error.
    public static let defaultPath = "/etc/tapestry/tapestryd.conf"

    /// Options that take a value.
    public static let valueKeys: Set<String> = ["run-dir", "state-dir", "socket", "socket-group", "spin-us", "poll-us", "datapath-threads", "log-level", "metrics",
                                                  "cluster", "cluster-name", "host-name", "underlay", "cluster-ttl",
                                                  "etcd-ca", "etcd-cert", "etcd-key", "etcd-user", "etcd-password-file"]
    /// Options that are on/off flags (`--x` / `--no-x`).
    public static let flagKeys: Set<String> = ["keep-ports-on-exit", "arp-suppress"]

    /// A line that cannot be used, with its file and line number.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let line: Int
        public let message: String
        public var description: String { "\(path):\(line): \(message)" }
    }

    /// The options as command-line arguments, in file order.
    public let arguments: [String]

    /// Parses `text` (read from `path`, which is only used in messages).
    public init(text: String, path: String) throws(Problem) {
        var args: [String] = []
        var seen: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw Problem(path: path, line: number, message: "expected 'key = value', got '\(trimmed)'")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let earlier = seen[key] {
                throw Problem(path: path, line: number, message: "'\(key)' is already set on line \(earlier)")
            }
            seen[key] = number
            if Self.valueKeys.contains(key) {
                guard !value.isEmpty else { throw Problem(path: path, line: number, message: "'\(key)' needs a value") }
                args += ["--\(key)", value]
            } else if Self.flagKeys.contains(key) {
                switch value.lowercased() {
                case "true", "yes", "on", "1": args.append("--\(key)")
                case "false", "no", "off", "0": args.append("--no-\(key)")
                default:
                    throw Problem(path: path, line: number, message: "'\(key)' takes true or false, got '\(value)'")
                }
            } else {
                let known = (Self.valueKeys.union(Self.flagKeys)).sorted().joined(separator: ", ")
                throw Problem(path: path, line: number, message: "unknown key '\(key)' (known: \(known))")
            }
        }
        arguments = args
    }

    /// Reads the file at `path`; nil when `path` is the default file and it does not exist.
    public static func load(path: String, explicit: Bool) throws -> DaemonConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit { throw Problem(path: path, line: 0, message: "no such file") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Problem(path: path, line: 0, message: "cannot read the file (permissions, or not UTF-8)")
        }
        return try DaemonConfigFile(text: text, path: path)
    }

    /// Finds `--config PATH` / `--config=PATH` in `arguments` (the command line without argv[0]).
    public static func configPath(in arguments: [String]) -> (path: String, explicit: Bool) {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { break }
            if a == "--config", i + 1 < arguments.count { return (arguments[i + 1], true) }
            if a.hasPrefix("--config=") { return (String(a.dropFirst("--config=".count)), true) }
            i += 1
        }
        return (defaultPath, false)
    }
}
