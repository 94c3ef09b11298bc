import Foundation
import HostSystem
import Logging

/// `tapestryd --metrics HOST:PORT`: a minimal HTTP/1.1 server for Prometheus scrapes. One thread
/// serves one connection at a time: it reads at most `maxRequestBytes` of request head within
/// `readTimeoutMilliseconds`, answers `GET /metrics` (or `HEAD`), and closes the connection.
public final class MetricsServer: Sendable {
    public static let maxRequestBytes = 8192
    public static let readTimeoutMilliseconds: Int32 = 2000
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let listener: TCPListener
    private let daemon: Daemon
    private let log: Logger

    /// The address bound, e.g. `127.0.0.1:9420`.
    public var address: String { listener.address }

    /// Binds `endpoint` (`HOST:PORT`); refuses a malformed endpoint or a busy port.
    public init(endpoint: String, daemon: Daemon, logger: Logger) throws(SystemError) {
        guard let (host, port) = TCPListener.parse(endpoint) else {
            throw SystemError("serve metrics on '\(endpoint)'", cause: "expected HOST:PORT, e.g. 127.0.0.1:9420")
        }
        listener = try TCPListener(host: host, port: port)
        self.daemon = daemon
        log = logger
    }

    public func start() {
        let t = Thread { [self] in
            while let conn = listener.accept() {
                serve(conn)
                conn.finish()
            }
        }
        t.name = "tapestry-metrics"
        t.start()
    }

    public func stop() { listener.close() }

    private func serve(_ conn: TCPConnection) {
        let (bytes, complete) = conn.read(limit: MetricsServer.maxRequestBytes,
                                          timeoutMilliseconds: MetricsServer.readTimeoutMilliseconds,
                                          isComplete: MetricsHTTP.hasCompleteHead)
        let response: MetricsHTTP.Response
        if !complete {
            response = bytes.count >= MetricsServer.maxRequestBytes
                ? .init(status: 431, reason: "Request Header Fields Too Large", body: "request head too large\n")
                : .init(status: 400, reason: "Bad Request", body: "incomplete request\n")
        } else {
            response = MetricsHTTP.respond(to: bytes) { daemon.metricsExposition() }
        }
        if response.status != 200 { log.debug("metrics: \(response.status) \(response.reason)") }
        conn.write(response.encoded)
    }
}

/// The HTTP part of the metrics endpoint, pure so that it can be reasoned about on its own.
enum MetricsHTTP {
    struct Response {
        var status: Int
        var reason: String
        var contentType = "text/plain; charset=utf-8"
        var body: [UInt8]
        var omitBody = false
        var allow: String? = nil

        init(status: Int, reason: String, body: String) {
            self.status = status; self.reason = reason; self.body = Array(body.utf8)
        }
        init(status: Int, reason: String, contentType: String, body: [UInt8]) {
            self.status = status; self.reason = reason; self.contentType = contentType; self.body = body
        }

        var encoded: [UInt8] {
            var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            if let allow { head += "Allow: \(allow)\r\n" }
            head += "Connection: close\r\n\r\n"
            return Array(head.utf8) + (omitBody ? [] : body)
        }
    }

    /// True once the bytes hold the blank line that ends a request head.
    static func hasCompleteHead(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for i in 3..<bytes.count where bytes[i] == 0x0A {
            if bytes[i - 1] == 0x0A || (bytes[i - 1] == 0x0D && bytes[i - 2] == 0x0A) { return true }
        }
        return false
    }

    /// Answers one request head: `GET|HEAD /metrics` with the exposition, 404, 405 or 400 otherwise.
    static func respond(to head: [UInt8], exposition: () -> [UInt8]) -> Response {
        let text = String(decoding: head, as: UTF8.self)
        // "\r\n" is one Character in Swift: split on any newline.
        let firstLine = text.split(maxSplits: 1, whereSeparator: \.isNewline).first ?? ""
        let parts = firstLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return Response(status: 400, reason: "Bad Request", body: "malformed request line\n")
        }
        let method = parts[0], target = parts[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" || path == "/" else { return Response(status: 404, reason: "Not Found", body: "try /metrics\n") }
        guard method == "GET" || method == "HEAD" else {
            var r = Response(status: 405, reason: "Method Not Allowed", body: "only GET and HEAD\n")
            r.allow = "GET, HEAD"
            return r
        }
        if path == "/" {
            var r = Response(status: 200, reason: "OK", body: "tapestryd metrics: see /metrics\n")
            r.omitBody = method == "HEAD"
            return r
        }
        var r = Response(status: 200, reason: "OK", contentType: MetricsServer.contentType, body: exposition())
        r.omitBody = method == "HEAD"
        return r
    }
}
