import ControlProtocol
import Foundation
import HostSystem

/// A one-shot JSON-RPC client for tapestryd: connects to its Unix stream socket, writes one request as
/// a line of JSON, reads one line back and decodes it. One connection per call, like ovs-vsctl.
struct ControlClient: Sendable {
    let socketPath: String
    /// How long to wait for the whole reply (and for the request to be taken).
    let timeoutSeconds: Int

    /// Sends `params` as a `method` request and returns the daemon's result, or throws why not.
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params) throws(ControlClientError) -> M.Result {
        let request = RPCRequest(id: .number(1), method: M.name, params: params)
        var line: Data
        do { line = try JSONEncoder().encode(request) } catch {
            throw .malformedReply("could not encode the request: \(error)")
        }

        // `ssh://…`: the same exchange through `ssh … tapestry proxy` (see SSHTunnel).
        if ConnectTarget.isURL(socketPath) { return try decode(M.Result.self, from: remoteExchange([UInt8](line))) }
        let reply: [UInt8]
        do {
            let connection = try UnixStreamClient(path: socketPath, timeout: .seconds(timeoutSeconds))
            reply = try connection.exchange([UInt8](line), replyLimit: RPCFraming.maxMessageBytes)
        } catch {
            throw ControlClientError(error, seconds: timeoutSeconds)
        }
        return try decode(M.Result.self, from: reply)
    }

    /// One exchange with a daemon on another host: ssh's end of a socketpair stands for the socket.
    /// SSH's handshake comes on top of the daemon's time.
    private func remoteExchange(_ request: [UInt8]) throws(ControlClientError) -> [UInt8] {
        let target: ConnectTarget
        do { target = try ConnectTarget(parsing: socketPath) } catch { throw .connectFailed(path: socketPath, cause: error.reason) }
        let tunnel = try SSHTunnel(target)
        defer { tunnel.close() }
        let seconds = timeoutSeconds + 20
        func exchange() throws(UnixStreamClient.Failure) -> [UInt8] {
            let connection = UnixStreamClient(adopting: dup(tunnel.fd), name: target.description, timeout: .seconds(seconds))
            return try connection.exchange(request, replyLimit: RPCFraming.maxMessageBytes)
        }
        do { return try exchange() } catch { throw tunnel.failure(ControlClientError(error, seconds: seconds)) }
    }

    // The error member is read first so that a refusal is reported even if `result` would not decode.
    private func decode<R: Codable & Sendable>(_ type: R.Type, from line: [UInt8]) throws(ControlClientError) -> R {
        let data = Data(line)
        let decoder = JSONDecoder()
        let probe: ErrorProbe
        do { probe = try decoder.decode(ErrorProbe.self, from: data) } catch {
            throw .malformedReply("not a JSON-RPC response")
        }
        if let error = probe.error { throw .daemon(error) }
        let response: RPCResponse<R>
        do { response = try decoder.decode(RPCResponse<R>.self, from: data) } catch {
            throw .malformedReply(describeDecoding(error))
        }
        if let result = response.result { return result }
        if let empty = Empty() as? R { return empty }  // a `null` result for a method that returns nothing
        throw .malformedReply("neither result nor error")
    }
}

/// The part of a response read first: only its error, if any.
private struct ErrorProbe: Decodable {
    var error: RPCError?
}

/// The text of an errno, as `strerror` gives it.
func describeErrno(_ code: Int32) -> String { SystemError("", errno: code).cause }

/// A short cause for a reply whose result did not decode.
private func describeDecoding(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
         DecodingError.dataCorrupted(let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    default: return "\(error)"
    }
}
