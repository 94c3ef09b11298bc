import ControlProtocol
import Foundation

/// Keeps a running capture honest: asks tapestryd, about once a second, whether the daemon that
/// started the capture still runs (same pid) and the bridge and port still exist. A capture whose
/// port was deleted or whose daemon restarted would otherwise wait for frames that never come.
struct CaptureWatch: Sendable {
    let socketPath: String
    let bridge: String
    let port: String?
    /// The pid of the daemon that took the capture.
    let daemonPID: Int32

    /// The daemon's pid now, or nil when it does not answer.
    static func daemonPID(socketPath: String) -> Int32? {
        (try? ControlClient(socketPath: socketPath, timeoutSeconds: 3).call(Methods.Version.self, Empty()))?.pid
    }

    /// Why the capture cannot go on, or nil while all is as it was.
    func check() -> String? {
        let client = ControlClient(socketPath: socketPath, timeoutSeconds: 3)
        guard let version = try? client.call(Methods.Version.self, Empty()) else {
            return "tapestryd at \(socketPath) stopped answering (stopped or restarting)"
        }
        if version.pid != daemonPID {
            return "tapestryd restarted (pid \(daemonPID), now \(version.pid)); the capture ended with it"
        }
        return missing(client)
    }

    /// Whether the bridge and port are there (and the daemon answers): nil when they are.
    func missing(_ client: ControlClient? = nil) -> String? {
        let client = client ?? ControlClient(socketPath: socketPath, timeoutSeconds: 3)
        let show: ShowResult
        do { show = try client.call(Methods.Show.self, ShowParams(bridge: bridge)) } catch {
            if case .daemon = error { return "bridge \(bridge) was deleted" }
            return "tapestryd at \(socketPath) stopped answering (stopped or restarting)"
        }
        guard let b = show.bridges.first(where: { $0.name == bridge }) else { return "bridge \(bridge) was deleted" }
        if let port, !b.ports.contains(where: { $0.config.name == port }) { return "port \(port) was deleted from bridge \(bridge)" }
        return nil
    }
}
