import ArgumentParser
import Datapath
import EtcdClient
import Foundation
import HostSystem
import Logging
import TapestryDaemon
import TapestryModel
#if canImport(Glibc)
import Glibc
#endif

/// `tapestryd`: the switch daemon. Foreground; logs to stderr.
struct TapestryDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapestryd",
        abstract: "Tapestry's switch daemon: owns tap ports, switches frames, serves the control socket.",
        discussion: """
            Options may also be set in a configuration file (default \(DaemonConfigFile.defaultPath), \
            read when it exists), one 'key = value' a line with the option's long name as the key; \
            options given on the command line override the file. When started by systemd with \
            Type=notify, it reports READY=1 once the control socket accepts connections.
            """,
        version: "tapestryd \(Daemon.version)")

    @Option(help: ArgumentHelp("Configuration file with the options below as 'key = value' lines (default \(DaemonConfigFile.defaultPath) when it exists).",
                               valueName: "path"))
    var config: String?

    @Option(help: "Directory for the control socket.")
    var runDir = "/run/tapestry"

    @Option(help: "Directory for the desired state (config.json) and owned devices.")
    var stateDir = "/var/lib/tapestry"

    @Option(help: "Control socket path (default: <run-dir>/tapestryd.sock).")
    var socket: String?

    @Option(help: "Group allowed to use the control socket (default: root only).")
    var socketGroup: String?

    @Flag(inversion: .prefixedNo, help: "Leave owned tap devices in place on SIGTERM/SIGINT (they are always kept on a crash).")
    var keepPortsOnExit = false

    @Option(help: "Microseconds the datapath keeps spinning (busy polling) after traffic before it sleeps (default 0: never; on machines with spare cores it can lower latency, on 2 shared cores it raises it).")
    var spinUs: UInt64 = 0

    /// The former name of --spin-us, still accepted.
    @Option(name: .customLong("poll-us"), help: .hidden)
    var pollUs: UInt64?

    @Option(help: ArgumentHelp("Datapath threads (1-\(Datapath.maxThreads); default: the online CPUs). Each polls one queue of every port: taps get one queue per thread, system ports one AF_PACKET socket per thread in a fanout group, VXLAN endpoints one SO_REUSEPORT socket per thread.", valueName: "n"))
    var datapathThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9420; loopback unless you say otherwise).",
                               valueName: "host:port"))
    var metrics: String?

    @OptionGroup(title: "Cluster")
    var cluster: ClusterOptions

    func validate() throws {
        if let n = datapathThreads, !(1...Datapath.maxThreads).contains(n) {
            throw ValidationError("invalid --datapath-threads \(n): expected 1-\(Datapath.maxThreads)")
        }
        if let metrics, TCPListener.parse(metrics) == nil {
            throw ValidationError("invalid --metrics '\(metrics)': expected HOST:PORT, e.g. 127.0.0.1:9420")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let log = Logger(label: "tapestryd")
        var group: gid_t? = nil
        if let name = socketGroup {
            guard let g = getgrnam(name) else { throw ValidationError("unknown group '\(name)'") }
            group = g.pointee.gr_gid
        }
        umask(0o027)
        try makeDirectory(runDir, mode: 0o750)
        // The socket's group must be able to reach it: the run directory is root:<group> 0750.
        if let group, chown(runDir, 0, group) != 0 {
            throw ValidationError("could not give \(runDir) to group \(socketGroup ?? ""): \(String(cString: strerror(errno)))")
        }
        try makeDirectory(stateDir, mode: 0o700)

        let service: Daemon
        let threads = datapathThreads ?? Datapath.defaultThreads
        do {
            service = try Daemon(stateDirectory: stateDir, logger: log, spinMicros: pollUs ?? spinUs, datapathThreads: threads,
                                 runDirectory: runDir, socketGroup: group, cluster: try cluster.settings())
        } catch {
            log.critical("\(error)")
            Foundation.exit(1)
        }
        let socketPath = socket ?? runDir + "/tapestryd.sock"
        let server: ControlServer
        do { server = try ControlServer(path: socketPath, group: group, dispatcher: service.dispatcher, logger: log) } catch {
            log.critical("\(error)")
            service.shutdown(keepDevices: true)
            Foundation.exit(1)
        }
        server.start()
        log.info("tapestryd \(Daemon.version) listening on \(socketPath), \(threads) datapath thread(s)")
        let notifier = SystemdNotifier()
        var metricsServer: MetricsServer? = nil
        if let endpoint = metrics {
            do { metricsServer = try MetricsServer(endpoint: endpoint, daemon: service, logger: log) } catch {
                log.critical("\(error)")
                server.stop()
                service.shutdown(keepDevices: true)
                Foundation.exit(1)
            }
            metricsServer?.start()
            log.info("serving metrics on http://\(metricsServer?.address ?? endpoint)/metrics")
        }
        if notifier.socketName != nil, !notifier.notify("READY=1\nSTATUS=listening on \(socketPath)\nMAINPID=\(getpid())") {
            log.warning("could not tell systemd that tapestryd is ready (NOTIFY_SOCKET=\(notifier.socketName ?? ""))")
        }

        let keep = keepPortsOnExit
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            src.setEventHandler {
                log.info("signal \(sig): shutting down")
                notifier.notify("STOPPING=1")
                server.stop()
                service.shutdown(keepDevices: keep)
                Foundation.exit(0)
            }
            src.resume()
            sources.append(src)
        }
        withExtendedLifetime((sources, metricsServer)) { dispatchMain() }
    }

    private func makeDirectory(_ path: String, mode: mode_t) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            chmod(path, mode)
        } catch {
            throw ValidationError("could not create directory \(path): \(error.localizedDescription)")
        }
    }
}

/// The command line with the configuration file's options in front, so the command line wins.
func argumentsWithConfigFile() -> [String] {
    let given = Array(CommandLine.arguments.dropFirst())
    let informational: Set<String> = ["-h", "--help", "help", "--version", "--experimental-dump-help", "--generate-completion-script"]
    if given.contains(where: { informational.contains($0) || $0.hasPrefix("--generate-completion-script") }) { return given }
    let (path, explicit) = DaemonConfigFile.configPath(in: given)
    do {
        guard let file = try DaemonConfigFile.load(path: path, explicit: explicit) else { return given }
        return file.arguments + given
    } catch {
        FileHandle.standardError.write(Data("tapestryd: configuration file: \(error)\n".utf8))
        Foundation.exit(1)
    }
}

TapestryDaemonCommand.main(argumentsWithConfigFile())
