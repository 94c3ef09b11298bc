#if canImport(Glibc)
import Glibc
#endif

/// The one wrapper for system calls: retries on EINTR, reports EAGAIN/EWOULDBLOCK as
/// `SystemError` with code EAGAIN (a timeout on a socket with SO_RCVTIMEO/SO_SNDTIMEO, or a
/// non-blocking fd with nothing to do), and names the call, what it was for and the errno.
public enum Syscall {
    /// Runs `body`, a call that returns -1 and sets errno on failure.
    @discardableResult
    public static func run<R: BinaryInteger>(_ call: String, _ what: @autoclosure () -> String,
                                             _ body: () -> R) throws(SystemError) -> R {
        try retrying(call, what(), body) { _ in errno }
    }

    /// Runs `body`, a shim call that returns -errno on failure.
    @discardableResult
    public static func shim<R: BinaryInteger>(_ call: String, _ what: @autoclosure () -> String,
                                              _ body: () -> R) throws(SystemError) -> R {
        try retrying(call, what(), body) { r in Int32(truncatingIfNeeded: -Int(r)) }
    }

    private static func retrying<R: BinaryInteger>(_ call: String, _ what: @autoclosure () -> String, _ body: () -> R,
                                                   errorCode: (R) -> Int32) throws(SystemError) -> R {
        while true {
            let r = body()
            if r >= 0 { return r }
            let code = errorCode(r)
            if code == EINTR { continue }
            throw SystemError("\(call) \(what())", errno: code == EWOULDBLOCK ? EAGAIN : code)
        }
    }

    /// Sends all of `bytes` on socket `fd` (MSG_NOSIGNAL: a vanished peer is EPIPE, not SIGPIPE).
    public static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws(SystemError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            offset += try run("send", what()) { send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Sends all of `bytes` on socket `fd`.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8], what: @autoclosure () -> String) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) { try sendAll(fd, raw, what: what()) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Closes `fd`, ignoring errors (after close the fd is gone whatever it returns; never retried).
    public static func close(_ fd: Int32) { if fd >= 0 { _ = Glibc.close(fd) } }
}

extension SystemError {
    /// Whether the call timed out or would have blocked (EAGAIN).
    public var wouldBlock: Bool { code == EAGAIN }
}
