import ControlProtocol
import Foundation
import HostSystem
import Logging

/// Serves the control protocol on a Unix socket: one thread accepts, one thread per connection
/// reads newline-framed JSON-RPC requests and writes the responses. Bounded: at most
/// `maxConnections` at once and `RPCFraming.maxMessageBytes` per message.
public final class ControlServer: Sendable {
    public static let maxConnections = 64
    private let listener: UnixListener
    private let dispatcher: ControlDispatcher
    private let log: Logger
    private let active = LockedBox(0)

    public init(path: String, group: gid_t?, dispatcher: ControlDispatcher, logger: Logger) throws {
        listener = try UnixListener(path: path, mode: 0o660, group: group)
        self.dispatcher = dispatcher
        self.log = logger
    }

    public func start() {
        let t = Thread { [self] in acceptLoop() }
        t.name = "tapestry-ctl"
        t.start()
    }

    public func stop() { listener.close() }

    private func acceptLoop() {
        while let conn = listener.accept() {
            let admitted = active.update { n -> Bool in
                guard n < ControlServer.maxConnections else { return false }
                n += 1
                return true
            }
            guard admitted else {
                conn.write(dispatcher.encodeError(nil, RPCError(code: RPCError.internalError, message: "too many connections")) + Data([0x0A]))
                conn.close()
                continue
            }
            let t = Thread { [self] in
                serve(conn)
                active.update { n -> Void in n -= 1 }
            }
            t.start()
        }
    }

    private func serve(_ conn: UnixConnection) {
        defer { conn.close() }
        if let uid = conn.peerUID, uid != 0 {
            // The socket's mode already limits who connects; the group may drive the switch too.
            log.debug("control connection from uid \(uid)")
        }
        while true {
            switch conn.readLine(limit: RPCFraming.maxMessageBytes) {
            case .closed: return
            case .tooLarge:
                let e = RPCError(code: RPCError.requestTooLarge, message: "request larger than \(RPCFraming.maxMessageBytes) bytes")
                conn.write(dispatcher.encodeError(nil, e) + Data([0x0A]))
                return
            case .line(let line):
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                guard conn.write(dispatcher.respond(to: line) + Data([0x0A])) else { return }
            }
        }
    }
}
