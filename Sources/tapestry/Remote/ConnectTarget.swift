import Foundation

/// Where a remote tapestryd is: `ssh://[user@]host[:port][/path/to/socket][?keyfile=PATH&no_verify=1&command=PATH]`,
/// in the manner of virsh's `qemu+ssh://` URIs. The path, when given, is the daemon's socket on that
/// host (default: the remote `tapestry`'s own default); `keyfile` is passed to ssh as `-i`, `no_verify=1`
/// skips the host key check, and `command` is the remote `tapestry` program (default `tapestry`).
struct ConnectTarget: Equatable, Sendable, CustomStringConvertible {
    var user: String?
    var host: String
    var port: Int?
    var socket: String?
    var keyFile: String?
    var verifyHostKey = true
    var remoteCommand = "tapestry"

    /// Why a connect URL is refused.
    struct Invalid: Error, CustomStringConvertible {
        let url: String
        let reason: String
        var description: String { "invalid connect URL '\(url)': \(reason) (expected ssh://[user@]host[:port][/path/to/socket])" }
    }

    /// Whether `text` is meant as a connect URL rather than a socket path.
    static func isURL(_ text: String) -> Bool { text.contains("://") }

    init(user: String? = nil, host: String, port: Int? = nil, socket: String? = nil) {
        self.user = user; self.host = host; self.port = port; self.socket = socket
    }

    init(parsing url: String) throws(Invalid) {
        guard let schemeEnd = url.range(of: "://") else { throw Invalid(url: url, reason: "no scheme") }
        let scheme = url[..<schemeEnd.lowerBound]
        guard scheme == "ssh" else { throw Invalid(url: url, reason: "scheme '\(scheme)' is not supported, only ssh") }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") { query = rest[rest.index(after: q)...]; rest = rest[..<q] }
        var authority = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") { authority = rest[..<slash]; path = rest[slash...] }
        if let at = authority.lastIndex(of: "@") {
            let u = authority[..<at]
            guard !u.isEmpty, u.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                throw Invalid(url: url, reason: "bad user name '\(u)'")
            }
            user = String(u)
            authority = authority[authority.index(after: at)...]
        }
        var hostPart = authority
        if authority.hasPrefix("[") {  // [IPv6]:port
            guard let close = authority.firstIndex(of: "]") else { throw Invalid(url: url, reason: "unclosed '['") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw Invalid(url: url, reason: "bad port '\(after)'") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else {
                throw Invalid(url: url, reason: "bad port '\(authority[authority.index(after: colon)...])'")
            }
            port = p
        }
        if let port, !(1...65535).contains(port) { throw Invalid(url: url, reason: "port \(port) out of range 1-65535") }
        guard !hostPart.isEmpty else { throw Invalid(url: url, reason: "no host") }
        guard hostPart.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:%".contains($0) }), !hostPart.hasPrefix("-") else {
            throw Invalid(url: url, reason: "bad host '\(hostPart)'")
        }
        host = String(hostPart)
        if !path.isEmpty, path != "/" {
            guard !path.contains("'"), !path.contains("\n") else { throw Invalid(url: url, reason: "bad socket path '\(path)'") }
            socket = String(path)
        }
        for item in query.split(separator: "&") where !item.isEmpty {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0]), value = kv.count > 1 ? String(kv[1]).removingPercentEncoding ?? String(kv[1]) : ""
            switch key {
            case "keyfile":
                guard !value.isEmpty else { throw Invalid(url: url, reason: "keyfile needs a path") }
                keyFile = value
            case "no_verify":
                guard value == "0" || value == "1" else { throw Invalid(url: url, reason: "no_verify takes 0 or 1") }
                verifyHostKey = value != "1"
            case "command":
                guard value.hasPrefix("/"), !value.contains("'") else { throw Invalid(url: url, reason: "command must be an absolute path") }
                remoteCommand = value
            default:
                throw Invalid(url: url, reason: "unknown parameter '\(key)' (known: keyfile, no_verify, command)")
            }
        }
    }

    /// `user@host:port/socket`, for messages.
    var description: String {
        "ssh://" + (user.map { "\($0)@" } ?? "") + (host.contains(":") ? "[\(host)]" : host)
            + (port.map { ":\($0)" } ?? "") + (socket ?? "")
    }

    /// The ssh command line that runs `tapestry proxy` (and, with `verb`, a verb) on the host.
    func sshArguments(ssh: String = ProcessInfo.processInfo.environment["TAPESTRY_SSH"] ?? "ssh",
                      proxyArguments: [String] = []) -> [String] {
        var args = ssh.split(separator: " ").map(String.init)
        if let port { args += ["-p", String(port)] }
        if let keyFile { args += ["-i", keyFile] }
        if !verifyHostKey { args += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"] }
        args += ["-T", "-e", "none", "-o", "ServerAliveInterval=15"]
        args.append((user.map { "\($0)@" } ?? "") + host)
        var remote = [remoteCommand, "proxy"]
        if let socket { remote += ["--socket", socket] }
        remote += proxyArguments
        args.append("--")
        args.append(remote.map(ConnectTarget.shellQuote).joined(separator: " "))
        return args
    }

    /// Single-quotes `word` for the remote shell.
    static func shellQuote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
