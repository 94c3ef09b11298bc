import Foundation
import HostSystem
import Synchronization
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

    /// A refused connect closes its socket once. (It closed it twice: the second close could take
    /// an fd another thread had just opened — a restarted tapestryd, finding its old socket file,
    /// lost libdispatch's epoll fd that way and died of SIGILL.) Another thread keeps opening fds
    /// and checks they stay open while this one fails connects; the race was hit within a few
    /// thousand rounds when the bug was there.
    @Test func refusedConnectClosesItsSocketOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapestry-usc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/stale.sock"
        // A socket file nobody listens on (as a daemon killed with -9 leaves it): connect says ECONNREFUSED.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(stale >= 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        try #require(bound == 0)
        close(stale)
        #expect(throws: UnixStreamClient.Failure.notListening(path: path, errno: ECONNREFUSED)) {
            _ = try UnixStreamClient(path: path, timeout: .seconds(1))
        }
        let stop = Atomic<Bool>(false)
        let lost = Atomic<Int>(0)
        let opened = Atomic<Int>(0)
        let watcher = Thread {
            while !stop.load(ordering: .relaxed) {
                let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                for _ in 0..<50 where fcntl(fd, F_GETFD) < 0 { lost.add(1, ordering: .relaxed); break }
                opened.add(1, ordering: .relaxed)
                if fcntl(fd, F_GETFD) >= 0 { close(fd) }
            }
        }
        watcher.start()
        let deadline = Date().addingTimeInterval(1.5)
        var rounds = 0
        while Date() < deadline && lost.load(ordering: .relaxed) == 0 {
            for _ in 0..<200 { _ = try? UnixStreamClient(path: path, timeout: .seconds(1)) }
            rounds += 200
        }
        stop.store(true, ordering: .relaxed)
        while !watcher.isFinished { usleep(1000) }
        #expect(opened.load(ordering: .relaxed) > 0, "the watcher thread opened nothing: the check proves nothing")
        #expect(lost.load(ordering: .relaxed) == 0, "\(lost.load(ordering: .relaxed)) fd(s) of another thread were closed by \(rounds) refused connects")
    }
}
