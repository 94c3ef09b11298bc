import ControlProtocol
import Foundation
import Logging
@testable import TapestryDaemon

/// A daemon over a fresh state directory (no bridges with ports, no networks started: it changes
/// nothing on the host), shut down after `body`.
func withDaemon<T>(state: Data? = nil, _ body: (Daemon) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tapestry-ctl-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    if let state { try state.write(to: URL(fileURLWithPath: dir + "/config.json")) }
    var log = Logger(label: "test")
    log.logLevel = .critical
    let daemon = try Daemon(stateDirectory: dir, logger: log)
    defer { daemon.shutdown(keepDevices: false) }
    return try body(daemon)
}

extension Daemon {
    /// Sends one request and returns the decoded response.
    func call<M: RPCMethod>(_: M.Type, _ params: M.Params) throws -> RPCResponse<M.Result> {
        let line = try JSONEncoder().encode(RPCRequest(id: .number(7), method: M.name, params: params))
        return try JSONDecoder().decode(RPCResponse<M.Result>.self, from: dispatcher.respond(to: line))
    }

    func generation() throws -> Int { try call(Methods.Show.self, ShowParams()).result?.generation ?? -1 }
}
