import CTapestryShims
import Foundation
import HostSystem
#if canImport(Glibc)
import Glibc
#endif

/// The socket side of a vhost-user port: listens (`server`) or connects and reconnects (`client`)
/// on its own thread, reads messages with their fds, lets the session answer, and resets the
/// session when the peer goes away, so that a reconnect starts clean.
public final class VhostUserEndpoint: @unchecked Sendable {
    public enum Mode: Sendable {
        /// tapestryd listens at the path (socket mode 0660, group when given).
        case server(group: gid_t?)
        /// tapestryd connects to the front-end's socket, retrying every `retryMillis`.
        case client(retryMillis: Int32)
    }

    public let path: String
    public let mode: Mode
    private let session: VhostUserSession
    private let listener: UnixListener?
    private let stopFD: Int32
    private let stopped = LockedBox(false)
    private let done = DispatchSemaphore(value: 0)
    private let statusBox = LockedBox(VhostUserStatus())
    private let log: @Sendable (String) -> Void
    private let notify: @Sendable (VhostUserEvent) -> Void
    /// The queues and error last notified (touched by the endpoint's thread only).
    private var notifiedQueues = (receive: 0, transmit: 0)
    private var notifiedError: String?

    /// Prepares the endpoint (a server binds its socket here, so errors show at once); `start` runs it.
    /// `notify` hears of connections, their ends, the served queues and refused vrings (for `events`).
    public init(path: String, mode: Mode, install: @escaping VhostUserSession.Installer,
                log: @escaping @Sendable (String) -> Void,
                notify: @escaping @Sendable (VhostUserEvent) -> Void = { _ in }) throws(SystemError) {
        self.path = path; self.mode = mode; self.log = log; self.notify = notify
        session = VhostUserSession(install: install)
        let e = tp_eventfd_create()
        guard e >= 0 else { throw SystemError("create eventfd for \(path)", errno: -e) }
        stopFD = e
        if case .server(let group) = mode {
            do { listener = try UnixListener(path: path, mode: 0o660, group: group) } catch {
                close(e)
                throw error
            }
        } else {
            listener = nil
        }
    }

    public var status: VhostUserStatus { statusBox.get() }

    public func start() {
        let t = Thread { [self] in run(); done.signal() }
        t.name = "tapestry-vhost"
        t.start()
    }

    /// Ends the connection and the thread (the session is reset: queues gone, memory unmapped);
    /// removes a server's socket file. Returns when the thread has finished.
    public func stop() {
        stopped.set(true)
        _ = tp_eventfd_signal(stopFD)
        listener?.close()
        done.wait()
        close(stopFD)
    }

    private var isStopped: Bool { stopped.get() }

    private func run() {
        while !isStopped {
            guard let fd = nextConnection() else { continue }
            statusBox.update { $0.connected = true; $0.connections += 1; $0.lastError = nil }
            log("vhost-user connection on \(path)")
            notify(.connected(path: path))
            let why = serve(fd)
            close(fd)
            session.reset()
            statusBox.update { s in
                s.connected = false; s.features = 0; s.protocolFeatures = 0; s.receiveQueues = 0; s.transmitQueues = 0
                if let why { s.lastError = why }
            }
            log("vhost-user connection on \(path) ended\(why.map { ": \($0)" } ?? "")")
            notifiedQueues = (0, 0)
            notifiedError = nil
            notify(.disconnected(reason: why))
        }
    }

    /// The next peer: accepted (server) or connected (client, retrying); nil when stopping or after a wait.
    private func nextConnection() -> Int32? {
        switch mode {
        case .server:
            guard let listener else { return nil }
            let r = tp_wait_readable(listener.fd, stopFD, -1)
            guard r == 1, !isStopped, let c = listener.accept() else { return nil }
            return c.fd
        case .client(let retry):
            let fd = tp_unix_stream_connect(path)
            if fd >= 0 { return fd }
            _ = tp_wait_readable(stopFD, -1, retry)
            return nil
        }
    }

    /// Reads and answers messages until the peer closes, a message is refused, or the endpoint stops.
    /// Returns the reason for an abnormal end.
    private func serve(_ fd: Int32) -> String? {
        var header = [UInt8](repeating: 0, count: VhostUserMessage.headerSize)
        var fds = [Int32](repeating: -1, count: 8)
        while true {
            let r = tp_wait_readable(fd, stopFD, -1)
            if r == 2 || isStopped { return nil }
            if r < 0 { return "poll failed (errno \(-r))" }
            if r == 0 { continue }
            var nfds: Int32 = 0
            let got = header.withUnsafeMutableBytes { h in
                fds.withUnsafeMutableBufferPointer { tp_recv_fds(fd, h.baseAddress, VhostUserMessage.headerSize, $0.baseAddress, 8, &nfds) }
            }
            let received = Array(fds[0..<Int(max(nfds, 0))])
            if got == 0 { return nil }
            if got < 0 { for f in received { close(f) }; return "read failed (errno \(-got))" }
            if got < VhostUserMessage.headerSize {
                let rest = header.withUnsafeMutableBytes { tp_recv_all(fd, $0.baseAddress! + got, VhostUserMessage.headerSize - got) }
                if rest < 0 { for f in received { close(f) }; return "connection closed inside a message header" }
            }
            var handedOver = false
            do {
                let (request, flags, size) = try VhostUserMessage.parseHeader(header)
                var payload = [UInt8](repeating: 0, count: size)
                if size > 0 {
                    let n = payload.withUnsafeMutableBytes { tp_recv_all(fd, $0.baseAddress, size) }
                    if n < 0 { for f in received { close(f) }; return "connection closed inside a \(request.name) payload" }
                }
                let m = VhostUserMessage(request: request, flags: flags, payload: payload, fds: received)
                handedOver = true
                let reply = try session.handle(m)
                publishStatus()
                if ProcessInfo.processInfo.environment["TAPESTRY_VHOST_TRACE"] != nil {
                    log("\(request.name) \(payload.prefix(16).map { String($0) }.joined(separator: ",")) fds \(received.count) → queues \(session.activeQueues)")
                }
                if let reply {
                    let w = reply.withUnsafeBytes { tp_send_all(fd, $0.baseAddress, reply.count) }
                    if w < 0 { return "could not reply to \(request.name) (errno \(-w))" }
                }
            } catch {
                if !handedOver { for f in received { close(f) } }
                return error.description
            }
        }
    }

    private func publishStatus() {
        let f = session.features, p = session.protocolFeatures, q = session.activeQueues, e = session.lastVringError
        statusBox.update { s in
            s.features = f; s.protocolFeatures = p; s.receiveQueues = q.receive; s.transmitQueues = q.transmit
            if let e { s.lastError = e }
        }
        if q != notifiedQueues {
            notifiedQueues = q
            notify(.queues(receive: q.receive, transmit: q.transmit, features: f))
        }
        if let e, e != notifiedError { notify(.vringRefused(e)) }
        notifiedError = e
    }
}
