import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A connection to a remote tapestryd through SSH: `ssh … tapestry proxy` with its stdin and stdout
/// joined to one end of a Unix socketpair, so the other end behaves like a connection to the
/// daemon's own socket (the same send/recv, timeouts and framing). ssh's stderr is kept in a
/// temporary file and makes the message when the exchange fails (authentication, an unknown host,
/// no access to the remote socket). Authentication and access are SSH's and the socket's group.
final class SSHTunnel: @unchecked Sendable {
    let target: ConnectTarget
    /// Our end of the socketpair.
    let fd: Int32
    let pid: pid_t
    private let stderrPath: String
    private var closed = false

    /// Starts ssh; with `proxyArguments` the proxy runs a verb instead of joining the socket.
    /// `stdoutFD`, when given, receives ssh's stdout (a streamed verb's output) instead of the
    /// socketpair; `inheritStderr` lets ssh and the remote verb speak on our stderr.
    init(_ target: ConnectTarget, proxyArguments: [String] = [], ownProcessGroup: Bool = false,
         stdoutFD: Int32? = nil, inheritStderr: Bool = false) throws(ControlClientError) {
        self.target = target
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .io(call: "socketpair", errno: errno)
        }
        stderrPath = NSTemporaryDirectory() + "tapestry-ssh-\(getpid())-\(UUID().uuidString).err"
        let args = target.sshArguments(proxyArguments: proxyArguments)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD ?? pair[1], 1)
        if !inheritStderr { posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK)
        if ownProcessGroup { flags |= Int32(POSIX_SPAWN_SETPGROUP); posix_spawnattr_setpgroup(&attr, 0) }
        posix_spawnattr_setflags(&attr, Int16(flags))
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let program = args[0]
        let rc = program.contains("/")
            ? posix_spawn(&child, program, &actions, &attr, argv, environ)
            : posix_spawnp(&child, program, &actions, &attr, argv, environ)
        _ = Glibc.close(pair[1])
        guard rc == 0 else {
            _ = Glibc.close(pair[0])
            throw .connectFailed(path: target.description, cause: "could not start \(program): \(describeErrno(rc))")
        }
        fd = pair[0]
        pid = child
    }

    deinit { close() }

    /// What ssh (or the remote proxy) printed on stderr, trimmed; empty when nothing.
    var stderrText: String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// The error for an exchange that ended early: ssh's own words when it said something.
    func failure(_ error: ControlClientError) -> ControlClientError {
        switch error {
        case .closed, .io, .timedOut:
            let status = waitExit(seconds: 2)
            let said = stderrText
            if !said.isEmpty { return .connectFailed(path: target.description, cause: said) }
            if let status, status != 0 { return .connectFailed(path: target.description, cause: "ssh exited with status \(status)") }
            return error
        default:
            return error
        }
    }

    /// Waits up to `seconds` for ssh to end; its exit status, or nil if it still runs.
    @discardableResult
    func waitExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if r < 0 { return nil }
            if Date() > deadline { return nil }
            usleep(10_000)
        }
    }

    /// Closes our end (the remote proxy then ends) and reaps ssh.
    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
        if waitExit(seconds: 3) == nil {
            kill(pid, SIGTERM)
            _ = waitExit(seconds: 2)
        }
        unlink(stderrPath)
    }
}
