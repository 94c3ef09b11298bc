import ControlProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        line.append(UInt8(ascii: "\n"))

        let fd = try connectSocket()
        defer { _ = close(fd) }
        try writeAll(fd, line)
        let reply = try readLine(fd)
        return try decode(M.Result.self, from: reply)
    }

    // socket(AF_UNIX, SOCK_STREAM) + connect(path); the send timeout also bounds a connect to a full backlog.
    private func connectSocket() throws(ControlClientError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw .connectFailed(path: socketPath, cause: "socket path must be 1 to \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io(call: "socket", errno: errno) }
        setTimeout(fd, SO_SNDTIMEO, seconds: timeoutSeconds)

        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let code = errno
            _ = close(fd)
            switch code {
            case ENOENT, ECONNREFUSED, ENOTDIR: throw .notRunning(path: socketPath, errno: code)
            case EAGAIN: throw .timedOut(seconds: timeoutSeconds)
            case EACCES, EPERM:
                throw .connectFailed(path: socketPath, cause: "\(describeErrno(code)) (the socket is root-only)")
            default: throw .connectFailed(path: socketPath, cause: "\(describeErrno(code)) (errno \(code))")
            }
        }
        return fd
    }

    // send() until every byte is written; MSG_NOSIGNAL so a vanished daemon is an error, not SIGPIPE.
    private func writeAll(_ fd: Int32, _ data: Data) throws(ControlClientError) {
        let bytes = [UInt8](data)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(seconds: timeoutSeconds) }
                if code == EPIPE || code == ECONNRESET { throw .closed }
                throw .io(call: "send", errno: code)
            }
            offset += n
        }
    }

    // recv() until a newline, with SO_RCVTIMEO set to what is left of the deadline before each read.
    private func readLine(_ fd: Int32) throws(ControlClientError) -> [UInt8] {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw .timedOut(seconds: timeoutSeconds) }
            setTimeout(fd, SO_RCVTIMEO, remaining: left)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(seconds: timeoutSeconds) }
                if code == ECONNRESET { throw .closed }
                throw .io(call: "recv", errno: code)
            }
            if n == 0 {
                // EOF: accept a reply that lacks only its newline.
                guard !reply.isEmpty else { throw .closed }
                return reply
            }
            if let newline = chunk[..<n].firstIndex(of: UInt8(ascii: "\n")) {
                reply += chunk[..<newline]
                return reply
            }
            reply += chunk[..<n]
            guard reply.count <= RPCFraming.maxMessageBytes else {
                throw .malformedReply("reply longer than \(RPCFraming.maxMessageBytes) bytes")
            }
        }
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

/// Sets SO_SNDTIMEO or SO_RCVTIMEO (whole seconds).
private func setTimeout(_ fd: Int32, _ option: Int32, seconds: Int) {
    setTimeout(fd, option, remaining: .seconds(seconds))
}

/// Sets SO_SNDTIMEO or SO_RCVTIMEO to `remaining`, at least one millisecond (zero would mean "forever").
private func setTimeout(_ fd: Int32, _ option: Int32, remaining: Duration) {
    let micros = max(1000, remaining.components.seconds * 1_000_000 + remaining.components.attoseconds / 1_000_000_000_000)
    var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
    _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
}

/// The text of an errno, as `strerror` gives it.
func describeErrno(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

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
