import Foundation
import TapestryDaemon
import Testing

/// tapestryd.conf: options as `key = value` lines, placed before the command line so flags win.
@Suite struct DaemonConfigFileTests {
    @Test func linesBecomeArgumentsInOrder() throws {
        let text = """
            # comment
            run-dir = /run/tapestry   # trailing comment
            state-dir=/var/lib/tapestry

            socket-group = tapestry
            keep-ports-on-exit = true
            log-level = debug
            """
        let file = try DaemonConfigFile(text: text, path: "t.conf")
        #expect(file.arguments == ["--run-dir", "/run/tapestry", "--state-dir", "/var/lib/tapestry",
                                   "--socket-group", "tapestry", "--keep-ports-on-exit", "--log-level", "debug"])
        let off = try DaemonConfigFile(text: "keep-ports-on-exit = no", path: "t.conf")
        #expect(off.arguments == ["--no-keep-ports-on-exit"])
        let arp = try DaemonConfigFile(text: "cluster = etcd://10.0.0.1:2379\narp-suppress = true", path: "t.conf")
        #expect(arp.arguments == ["--cluster", "etcd://10.0.0.1:2379", "--arp-suppress"])
        #expect(try DaemonConfigFile(text: "arp-suppress = false", path: "t.conf").arguments == ["--no-arp-suppress"])
    }

    @Test func badLinesNameFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("log-level = info\nbogus = 1", 2, "unknown key 'bogus'"),
            ("run-dir /run/x", 1, "expected 'key = value'"),
            ("socket =", 1, "'socket' needs a value"),
            ("keep-ports-on-exit = maybe", 1, "takes true or false"),
            ("log-level = info\n\nlog-level = debug", 3, "already set on line 1"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try DaemonConfigFile(text: text, path: "/etc/tapestry/tapestryd.conf")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.line == line, "\(error)")
                #expect(error.description.hasPrefix("/etc/tapestry/tapestryd.conf:\(line): "), "\(error)")
                #expect(error.message.contains(message), "\(error)")
            }
        }
    }

    @Test func configPathFromCommandLine() {
        #expect(DaemonConfigFile.configPath(in: ["--log-level", "info"]) == (DaemonConfigFile.defaultPath, false))
        #expect(DaemonConfigFile.configPath(in: ["--config", "/x.conf"]) == ("/x.conf", true))
        #expect(DaemonConfigFile.configPath(in: ["--config=/y.conf", "--run-dir", "/r"]) == ("/y.conf", true))
    }

    @Test func missingFiles() throws {
        #expect(try DaemonConfigFile.load(path: "/nonexistent/tapestryd.conf", explicit: false) == nil)
        #expect(throws: DaemonConfigFile.Problem.self) {
            try DaemonConfigFile.load(path: "/nonexistent/tapestryd.conf", explicit: true)
        }
    }

    /// The packaged default file parses, and names only options tapestryd has.
    @Test func packagedDefaultParses() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = repo.appendingPathComponent("Tools/packaging/tapestryd.conf").path
        let file = try #require(try DaemonConfigFile.load(path: path, explicit: true))
        #expect(file.arguments.contains("--socket-group"))
        #expect(file.arguments.contains("--no-keep-ports-on-exit"))
    }
}
