import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry proxy [--socket PATH] [-- VERB ARGS…]`: the remote end of `tapestry --connect ssh://…`.
/// Joins its stdin and stdout to tapestryd's control socket until either side closes. With a verb
/// after `--` it runs that verb here instead (a capture or `events --follow`, whose output streams
/// back through SSH) and stops it with SIGTERM when its stdin closes (the local CLI was interrupted).
struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Join stdin/stdout to tapestryd's socket (the remote end of --connect).",
        discussion: """
            Run by `tapestry --connect ssh://[user@]host[:port][/path/to/socket] VERB …` on the remote host \
            through ssh, as virsh runs its helper: authentication is SSH's, access the socket's group.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("A verb to run here instead (-- capture …).", valueName: "verb"))
    var verb: [String] = []

    var context: CommandContext { CommandContext(verb: "proxy") }

    func run() throws {
        let path = options.socket ?? {
            if let env = ProcessInfo.processInfo.environment["TAPESTRY_SOCKET"], !env.isEmpty { return env }
            return GlobalOptions.defaultSocketPath
        }()
        var words = verb
        if words.first == "--" { words.removeFirst() }
        if !words.isEmpty { Foundation.exit(runVerb(words, socket: path)) }
        let fd = try connect(path)
        relay(socket: fd)
    }

    /// Connects to the daemon's socket, or throws a message that names the cause and the fix.
    private func connect(_ path: String) throws(CLIError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw context.refuse("socket path '\(path)' is too long or empty")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes); raw[bytes.count] = 0 }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw context.refuse("socket: \(describeErrno(errno))") }
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r == 0 { return fd }
        let code = errno
        _ = Glibc.close(fd)
        let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
        let host = ProcessInfo.processInfo.hostName
        switch code {
        case EACCES, EPERM:
            var st = stat()
            let group = stat(path, &st) == 0 ? (getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(st.st_gid)") : "?"
            throw CLIError(message: "could not connect to tapestryd at \(path) on \(host): permission denied for user \(user) "
                           + "(the socket is group '\(group)', mode 0660: add \(user) to that group, or start tapestryd with --socket-group)")
        case ENOENT, ECONNREFUSED:
            throw CLIError(message: "could not connect to tapestryd at \(path) on \(host): is tapestryd running? (\(describeErrno(code)))")
        default:
            throw CLIError(message: "could not connect to tapestryd at \(path) on \(host): \(describeErrno(code))")
        }
    }

    /// Copies stdin → socket and socket → stdout; ends when the socket closes, or when stdin
    /// closes and the daemon has answered what was sent.
    private func relay(socket fd: Int32) -> Never {
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var stdinOpen = true
        while true {
            fds[0].fd = stdinOpen ? 0 : -1
            let n = poll(&fds, 2, -1)
            if n < 0 { if errno == EINTR { continue }; Foundation.exit(1) }
            if stdinOpen, fds[0].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if got <= 0 {
                    stdinOpen = false
                    shutdown(fd, Int32(SHUT_WR))
                } else if !writeAll(fd, buffer, got, socket: true) {
                    Foundation.exit(1)
                }
            }
            if fds[1].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if got <= 0 { Foundation.exit(0) }
                if !writeAll(1, buffer, got, socket: false) { Foundation.exit(1) }
            }
        }
    }

    private func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int, socket: Bool) -> Bool {
        var offset = 0
        while offset < count {
            let n = buffer.withUnsafeBytes { raw in
                socket ? send(fd, raw.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL))
                       : write(fd, raw.baseAddress! + offset, count - offset)
            }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    /// Runs `tapestry --socket PATH VERB…` (this same program) with our stdout and stderr; SIGTERM
    /// to it when stdin closes. Returns its exit status.
    private func runVerb(_ words: [String], socket path: String) -> Int32 {
        guard let verbName = words.first, ["capture", "events", "doctor"].contains(verbName) else {
            FileHandle.standardError.write(Data("could not proxy: only capture, events and doctor run through the proxy; other verbs are sent as requests\n".utf8))
            return 1
        }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let args = [me, "--socket", path] + words
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        guard posix_spawn(&child, me, &actions, &attr, argv, environ) == 0 else {
            FileHandle.standardError.write(Data("could not proxy: cannot start \(me)\n".utf8))
            return 1
        }
        let pid = child
        // stdin's end (the local CLI closed it, or ssh went away) stops the verb cleanly.
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while read(0, &byte, 1) > 0 {}
            kill(pid, SIGTERM)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
