import Foundation
import HostSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without libsystemd: the state reaches a datagram socket named by $NOTIFY_SOCKET.
@Suite struct SystemdNotifierTests {
    @Test func noSocketMeansNothingSent() {
        let n = SystemdNotifier(environment: [:])
        #expect(n.socketName == nil)
        #expect(!n.notify("READY=1"))
    }

    @Test func readyReachesPathSocket() throws {
        let path = NSTemporaryDirectory() + "tp-notify-\(getpid()).sock"
        let reader = try UnixDatagramReader(path: path)
        defer { reader.close(); unlink(path) }
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": path]).notify("READY=1\nSTATUS=up"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let text: String? = buffer.withUnsafeMutableBytes { raw in
            if case .datagram(let n) = reader.receive(into: raw, timeoutMilliseconds: 2000) {
                return String(decoding: raw.prefix(n), as: UTF8.self)
            }
            return nil
        }
        #expect(text == "READY=1\nSTATUS=up")
    }

    @Test func unreachableSocketIsReported() {
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify.sock"]).notify("READY=1"))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "@tapestry-test-nobody-\(getpid())"]).notify("READY=1"))
    }
}
