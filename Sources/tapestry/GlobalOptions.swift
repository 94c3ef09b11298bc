import ArgumentParser
import ControlProtocol
import Foundation

/// Options every verb takes; they may also stand before the verb (see `ArgumentOrder`).
struct GlobalOptions: ParsableArguments {
    /// Where tapestryd listens when neither `--socket` nor `$TAPESTRY_SOCKET` says otherwise.
    static let defaultSocketPath = "/run/tapestry/tapestryd.sock"

    @Option(help: ArgumentHelp(
        "The daemon's control socket (default: $TAPESTRY_SOCKET, else \(GlobalOptions.defaultSocketPath)).",
        valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Output format of commands that show something.", valueName: "table|json"))
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp(
        "A tapestryd on another host, through SSH (default: $TAPESTRY_CONNECT): ssh://[user@]host[:port][/path/to/socket].",
        valueName: "url"))
    var connect: String?

    /// `--connect` or `$TAPESTRY_CONNECT`, when the daemon is on another host.
    var connectURL: String? {
        if let connect { return connect }
        if socket == nil, let env = ProcessInfo.processInfo.environment["TAPESTRY_CONNECT"], !env.isEmpty { return env }
        return nil
    }

    /// The remote daemon, parsed; nil when the daemon is local.
    func remoteTarget(context: CommandContext) throws(CLIError) -> ConnectTarget? {
        guard let url = connectURL else { return nil }
        do { return try ConnectTarget(parsing: url) } catch { throw context.refuse(error.description) }
    }

    /// `--connect` URL, else `--socket`, else `$TAPESTRY_SOCKET`, else the default path.
    /// (A `ssh://` URL here makes every call go through `ssh … tapestry proxy`.)
    var socketPath: String {
        if let url = connectURL { return url }
        if let socket { return socket }
        if let env = ProcessInfo.processInfo.environment["TAPESTRY_SOCKET"], !env.isEmpty { return env }
        return GlobalOptions.defaultSocketPath
    }

    /// Sends one request to the daemon and returns its result, or throws the line to print.
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, context: CommandContext,
                            timeout: ReplyTimeout = .query) throws(CLIError) -> M.Result {
        let client = ControlClient(socketPath: socketPath, timeoutSeconds: timeout.seconds)
        do { return try client.call(method, params) } catch { throw context.failure(from: error) }
    }
}

/// How long the CLI waits for a reply: a query is quick; creating or removing devices takes longer.
enum ReplyTimeout: Sendable {
    case query, deviceChange
    /// A transaction of this many operations.
    case bulk(Int)

    var seconds: Int {
        switch self {
        case .query: 5
        case .deviceChange: 30
        case .bulk(let n): 30 + n / 20
        }
    }
}
