/// An ovs-vsctl command line split into global options and `--`-separated commands, each with
/// its own options (`--may-exist`, `--if-exists`, `--id=@name`, `--columns=…`, …). As with
/// ovs-vsctl, options may be abbreviated to a unique prefix, and command options written before
/// the first command belong to it (`ovs-vsctl --if-exists del-port vnet0`).
public struct OVSCommandLine: Sendable, Equatable {
    /// The options that hold for the whole invocation.
    public struct Global: Sendable, Equatable {
        public var timeout: Int?
        public var format: OVSTableFormat?
        public var data: OVSDataFormat?
        public var headings = true
        public var oneline = false
        public var dryRun = false
        public var socket: String?
        public var help = false
        public var version = false
        public init() {}
    }

    /// One command: its verb, its options and its arguments.
    public struct Command: Sendable, Equatable {
        public var verb: String
        public var options: [String: String]
        public var arguments: [String]

        public func has(_ option: String) -> Bool { options[option] != nil }
    }

    public var global = Global()
    public var commands: [Command] = []

    static let globalOptions: [String: Bool] = [  // name: takes an argument
        "timeout": true, "db": true, "no-wait": false, "wait": false, "dry-run": false, "oneline": false,
        "no-syslog": false, "verbose": false, "format": true, "data": true, "no-headings": false, "pretty": false,
        "bare": false, "retry": false, "help": false, "version": false, "socket": true, "log-file": false,
    ]
    static let commandOptions: [String: Bool] = [
        "may-exist": false, "if-exists": false, "with-iface": false, "id": true, "all": false, "columns": true,
        "fake-iface": false, "real": false, "fake": false,
    ]

    /// Parses `arguments` (without the program name).
    public init(_ arguments: [String]) throws(OVSError) {
        var i = 0
        var pending: [String: String] = [:]
        // Leading options, up to the first command (or a `--`).
        while i < arguments.count, arguments[i].hasPrefix("-"), arguments[i] != "--" {
            let a = arguments[i]
            if a == "-t" || a == "-v" || a == "-h" || a == "-V" {
                switch a {
                case "-t":
                    guard i + 1 < arguments.count else { throw OVSError("option '-t' requires an argument") }
                    try applyGlobal("timeout", arguments[i + 1]); i += 1
                case "-h": global.help = true
                case "-V": global.version = true
                default: break
                }
                i += 1
                continue
            }
            guard a.hasPrefix("--") else { throw OVSError("unrecognized option '\(a)'") }
            let (name, value, global) = try OVSCommandLine.option(a, next: i + 1 < arguments.count ? arguments[i + 1] : nil)
            if value.consumedNext { i += 1 }
            if global { try applyGlobal(name, value.text) } else { pending[name] = value.text ?? "" }
            i += 1
        }
        // Commands separated by `--`; each may open with its own options.
        var segment: [String] = []
        var segments: [[String]] = []
        for a in arguments[i...] {
            if a == "--" { segments.append(segment); segment = [] } else { segment.append(a) }
        }
        segments.append(segment)
        for (n, seg) in segments.enumerated() {
            var options = n == segments.firstIndex(where: { !$0.isEmpty }) ? pending : [:]
            var j = 0
            while j < seg.count, seg[j].hasPrefix("--") {
                let (name, value, isGlobal) = try OVSCommandLine.option(seg[j], next: j + 1 < seg.count ? seg[j + 1] : nil)
                guard !isGlobal else { throw OVSError("'\(seg[j])' is a global option; put it before the first command") }
                options[name] = value.text ?? ""
                if value.consumedNext { j += 1 }
                j += 1
            }
            guard j < seg.count else {
                if !options.isEmpty { throw OVSError("missing command name after \(options.keys.sorted().map { "--" + $0 }.joined(separator: " "))") }
                continue
            }
            commands.append(Command(verb: seg[j], options: options, arguments: Array(seg[(j + 1)...])))
        }
        if commands.isEmpty && !self.global.help && !self.global.version {
            throw OVSError("missing command name (use --help for help)")
        }
    }

    /// `--name=value`, `--name value` (for options that take one) or `--name`, with unique prefixes.
    static func option(_ token: String, next: String?) throws(OVSError) -> (String, (text: String?, consumedNext: Bool), Bool) {
        let body = token.dropFirst(2)
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let given = String(parts[0])
        let all = globalOptions.merging(commandOptions) { a, _ in a }
        let candidates = all.keys.filter { $0.hasPrefix(given) }
        let name: String
        if all[given] != nil { name = given } else if candidates.count == 1 { name = candidates[0] } else if candidates.isEmpty {
            throw OVSError("unrecognized option '--\(given)'")
        } else {
            throw OVSError("option '--\(given)' is ambiguous; possibilities: \(candidates.sorted().map { "'--" + $0 + "'" }.joined(separator: " "))")
        }
        let takesArgument = all[name] ?? false
        let isGlobal = globalOptions[name] != nil
        if parts.count == 2 {
            guard takesArgument || name == "verbose" else { throw OVSError("option '--\(name)' doesn't allow an argument") }
            return (name, (String(parts[1]), false), isGlobal)
        }
        if takesArgument {
            guard let next else { throw OVSError("option '--\(name)' requires an argument") }
            return (name, (next, true), isGlobal)
        }
        return (name, (nil, false), isGlobal)
    }

    private mutating func applyGlobal(_ name: String, _ value: String?) throws(OVSError) {
        switch name {
        case "timeout":
            guard let v = value, let n = Int(v), n >= 0 else { throw OVSError("value \(value ?? "") on -t or --timeout is invalid") }
            global.timeout = n
        case "format":
            guard let v = value, let f = OVSTableFormat(rawValue: v) else {
                throw OVSError("unknown output format \"\(value ?? "")\" (use list, table, csv or json)")
            }
            global.format = f
        case "data":
            guard let v = value, let d = OVSDataFormat(rawValue: v) else { throw OVSError("unknown data format \"\(value ?? "")\" (use string, bare or json)") }
            global.data = d
        case "no-headings": global.headings = false
        case "bare": global.format = .list; global.data = .bare; global.headings = false
        case "oneline": global.oneline = true
        case "dry-run": global.dryRun = true
        case "socket": global.socket = value
        case "help": global.help = true
        case "version": global.version = true
        case "db":
            throw OVSError("--db is not supported: tapestry-ovs-vsctl talks to tapestryd (use --socket=PATH or $TAPESTRY_SOCKET)")
        default: break  // --no-wait, --wait, --no-syslog, --verbose, --pretty, --retry, --log-file: nothing to do
        }
    }
}

/// How `list` and `find` lay out rows: `--format=list` (the default), `table`, `csv` or `json`.
public enum OVSTableFormat: String, Sendable {
    case list, table, csv, json
}
