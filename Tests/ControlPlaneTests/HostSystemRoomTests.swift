import Foundation
import HostSystem
import Testing

/// The syscall room: the one wrapper, the one way to end a process, the one Unix stream client.
@Suite struct HostSystemRoomTests {
    @Test func syscallErrorNamesTheCallAndErrno() {
        do {
            try Syscall.run("fcntl", "of fd 987654") { fcntl(987_654, F_GETFD) }
            Issue.record("fcntl on a closed fd succeeded")
        } catch {
            #expect(error.code == EBADF)
            #expect(error.description.contains("fcntl of fd 987654") && error.description.contains("errno \(EBADF)"))
        }
    }

    @Test func terminateEndsAndKills() throws {
        let polite = try ChildProcess.spawn("/bin/sleep", ["30"])
        #expect(ProcessControl.isAlive(polite))
        #expect(ProcessControl.terminate(polite, grace: 3) == .terminated)
        #expect(!ProcessControl.isAlive(polite))
        let stubborn = try ChildProcess.spawn("/bin/sh", ["-c", "trap '' TERM; while :; do sleep 0.05; done"])
        usleep(200_000)  // let the shell install its trap
        #expect(ProcessControl.terminate(stubborn, grace: 0.3) == .killed)
        #expect(!ProcessControl.isAlive(stubborn))
        #expect(ProcessControl.terminate(stubborn, grace: 1) == .notRunning)
        // A marker that does not match: not signalled.
        let other = try ChildProcess.spawn("/bin/sleep", ["30"])
        defer { ProcessControl.terminate(other, grace: 1) }
        #expect(ProcessControl.terminate(other, grace: 0.2, marker: "not-this-one") == .notRunning)
        #expect(ProcessControl.isAlive(other))
    }

    @Test func unixStreamClientExchangesLinesAndFails() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapestry-usc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.sock"
        #expect(throws: UnixStreamClient.Failure.notListening(path: path, errno: ENOENT)) {
            _ = try UnixStreamClient(path: path, timeout: .seconds(1))
        }
        let listener = try UnixListener(path: path)
        let server = Thread {
            // First connection: echo one line upper-cased. Second: read and never answer.
            if let c = listener.accept(), case .line(let l) = c.readLine(limit: 1 << 20) {
                c.write(Data(String(decoding: l, as: UTF8.self).uppercased().utf8) + Data([0x0A]))
                c.close()
            }
            if let c = listener.accept() { _ = c.readLine(limit: 1 << 20); Thread.sleep(forTimeInterval: 1.5); c.close() }
        }
        server.start()
        defer { listener.close() }
        let client = try UnixStreamClient(path: path, timeout: .seconds(5))
        #expect(try client.exchange(Array("hello".utf8), replyLimit: 100) == Array("HELLO".utf8))
        let silent = try UnixStreamClient(path: path, timeout: .milliseconds(400))
        #expect(throws: UnixStreamClient.Failure.timedOut) { _ = try silent.exchange(Array("x".utf8), replyLimit: 100) }
    }
}
