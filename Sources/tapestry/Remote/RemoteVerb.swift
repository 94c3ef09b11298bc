import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while a remote verb streams.
nonisolated(unsafe) private var remoteStopRequested: sig_atomic_t = 0

/// A streaming verb (`capture`, `events --follow`) on a remote daemon: `ssh … tapestry proxy -- VERB …`
/// runs it on that host with its output coming back through SSH to our stdout (or to a local pcap
/// file) and its messages to our stderr. Ctrl-C closes the proxy's stdin, which stops the verb there
/// cleanly (a capture still stops its session and prints its counts).
enum RemoteVerb {
    /// Runs `words` (the verb and its arguments) on `target`; returns only to throw.
    static func run(_ target: ConnectTarget, _ words: [String], outputFile: String? = nil,
                    context: CommandContext) throws(CLIError) -> Never {
        var outFD: Int32 = 1
        if let outputFile, outputFile != "-" {
            outFD = open(outputFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard outFD >= 0 else { throw context.refuse("cannot write \(outputFile): \(describeErrno(errno))") }
        }
        remoteStopRequested = 0
        signal(SIGINT) { _ in remoteStopRequested = 1 }
        signal(SIGTERM) { _ in remoteStopRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
        CaptureReader.unblockTerminationSignals()
        let tunnel: SSHTunnel
        do {
            tunnel = try SSHTunnel(target, proxyArguments: ["--"] + words, ownProcessGroup: true,
                                   stdoutFD: outFD, inheritStderr: true)
        } catch { throw context.refuse(error.description) }
        var asked = false
        while true {
            if let status = tunnel.waitExit(seconds: 0.1) {
                if status == 255 { throw context.refuse("ssh to \(target) failed (see above)") }
                exit(status)
            }
            if remoteStopRequested != 0 && !asked {
                asked = true
                shutdown(tunnel.fd, Int32(SHUT_RDWR))  // the proxy's stdin ends: the verb stops there
            }
        }
    }
}
