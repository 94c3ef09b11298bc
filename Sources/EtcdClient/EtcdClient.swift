import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// A client of etcd's v3 API through its JSON gateway (`/v3/kv/…`, `/v3/lease/…`, `/v3/watch`)
/// over async-http-client. Requests go to the member that answered last; when a member cannot
/// serve (refused, timed out, no leader) the next one is tried. With a user and password it
/// authenticates (`/v3/auth/authenticate`) per member and sends the token with every request.
public final class EtcdClient: Sendable {
    public let configuration: EtcdConfiguration
    let http: HTTPClient
    /// For watches: no read timeout (a watch may be idle for hours).
    let streaming: HTTPClient
    let state = Mutex<State>(State())

    struct State {
        var preferred = 0
        var tokens: [Int: String] = [:]
    }

    /// `eventLoopGroup` carries the connections (default: async-http-client's shared one); a group
    /// whose threads were started inside a network namespace connects from there.
    public init(_ configuration: EtcdConfiguration, eventLoopGroup: (any EventLoopGroup)? = nil) throws {
        guard !configuration.endpoints.isEmpty else { throw EtcdError.configuration("no endpoints") }
        self.configuration = configuration
        let tls = try configuration.tls.map(EtcdClient.tlsConfiguration)
        let connect = TimeAmount.milliseconds(Int64(configuration.connectTimeout * 1000))
        var unary = HTTPClient.Configuration(tlsConfiguration: tls,
                                             timeout: .init(connect: connect, read: .milliseconds(Int64(configuration.requestTimeout * 1000))))
        unary.httpVersion = .http1Only
        var watching = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: connect))
        watching.httpVersion = .http1Only
        // One connection per watch (a streamed POST holds its connection): many watches, many connections.
        watching.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
        unary.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let group = eventLoopGroup ?? HTTPClient.defaultEventLoopGroup
        http = HTTPClient(eventLoopGroup: group, configuration: unary)
        streaming = HTTPClient(eventLoopGroup: group, configuration: watching)
    }

    /// Closes the connections. Call once, before dropping the client.
    public func shutdown() async {
        try? await http.shutdown()
        try? await streaming.shutdown()
    }

    static func tlsConfiguration(_ files: EtcdConfiguration.TLSFiles) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = files.caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
            if let cert = files.certFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            }
            if let key = files.keyFile { tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
        } catch {
            throw EtcdError.configuration("could not read TLS files (ca \(files.caFile ?? "-"), cert \(files.certFile ?? "-"), key \(files.keyFile ?? "-")): \(error)")
        }
        if (files.certFile == nil) != (files.keyFile == nil) {
            throw EtcdError.configuration("a client certificate needs its key and the key its certificate")
        }
        return tls
    }

    /// The member requests go to first (index into `configuration.endpoints`).
    public var preferredEndpoint: EtcdConfiguration.Endpoint {
        configuration.endpoints[state.withLock { $0.preferred }]
    }

    // MARK: - Requests with failover

    /// Posts `body` to `path` on the preferred member, then on the others while they cannot serve.
    func call<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, as: Answer.Type) async throws -> Answer {
        let data = try JSONEncoder().encode(body)
        let n = configuration.endpoints.count
        let start = state.withLock { $0.preferred }
        var failures: [String] = []
        for k in 0..<n {
            let i = (start + k) % n
            do {
                let answer = try await callOne(i, path, data, Answer.self)
                if k > 0 { state.withLock { $0.preferred = i } }
                return answer
            } catch let e as EtcdError where !e.isRetryableElsewhere {
                throw e
            } catch {
                failures.append("\(configuration.endpoints[i]): \(EtcdClient.describe(error))")
            }
        }
        throw EtcdError.unavailable(failures.joined(separator: "; "))
    }

    private func callOne<Answer: Decodable>(_ i: Int, _ path: String, _ data: Data, _ type: Answer.Type) async throws -> Answer {
        var retriedAuth = false
        while true {
            let token = try await token(for: i)
            let bytes = try await post(i, path, data, token: token)
            do {
                return try EtcdClient.decode(bytes, Answer.self, path: path)
            } catch let e as EtcdError where e.isAuthTokenProblem && !retriedAuth && configuration.username != nil {
                retriedAuth = true
                _ = state.withLock { $0.tokens.removeValue(forKey: i) }
            }
        }
    }

    /// One POST to member `i`; returns the body of a 200 answer, throws etcd's error otherwise.
    func post(_ i: Int, _ path: String, _ data: Data, token: String?) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: configuration.baseURL(i) + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(ByteBuffer(bytes: data))
        let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
        let body = try await response.body.collect(upTo: 256 << 20)
        let bytes = Array(body.readableBytesView)
        guard response.status == .ok else { throw EtcdClient.errorAnswer(bytes, status: Int(response.status.code)) }
        return bytes
    }

    static func decode<Answer: Decodable>(_ bytes: [UInt8], _ type: Answer.Type, path: String) throws -> Answer {
        // A streamed answer (keepalive) holds one `{"result": …}` line; an error may come inside too.
        // Keys and values are base64, so only a field can spell "error": without it, one parse suffices
        // (watch lines of thousands of events are most of a host's decoding).
        if EtcdClient.mentionsError(bytes), let error = try? JSONDecoder().decode(ErrorOnly.self, from: Data(bytes)), let e = error.error {
            throw EtcdError.server(code: e.code ?? 2, message: e.message ?? e.error ?? "unknown error")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch let e as EtcdError {
            throw e
        } catch {
            throw EtcdError.malformedResponse("\(path): \(error)")
        }
    }

    private struct ErrorOnly: Decodable { var error: ErrorAnswer? }

    /// True when `bytes` hold `"error"` anywhere.
    static func mentionsError(_ bytes: [UInt8]) -> Bool {
        let needle = Array("\"error\"".utf8)
        guard bytes.count >= needle.count else { return false }
        for i in 0...(bytes.count - needle.count) where bytes[i] == 0x22 && bytes[i + 1] == needle[1] {
            if bytes[i..<(i + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    static func errorAnswer(_ bytes: [UInt8], status: Int) -> EtcdError {
        if let e = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(bytes)) {
            return .server(code: e.code ?? 2, message: e.message ?? e.error ?? "HTTP \(status)")
        }
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        return status == 503 ? .unavailable("HTTP 503: \(text)") : .server(code: 2, message: "HTTP \(status): \(text)")
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? EtcdError { return e.description }
        return String(describing: error)
    }

    // MARK: - Authentication

    /// The token for member `i` (none without a user), authenticating first when needed.
    func token(for i: Int) async throws -> String? {
        guard let name = configuration.username else { return nil }
        if let t = state.withLock({ $0.tokens[i] }) { return t }
        let body = try JSONEncoder().encode(AuthenticateBody(name: name, password: configuration.password ?? ""))
        let bytes: [UInt8]
        do {
            bytes = try await post(i, "/v3/auth/authenticate", body, token: nil)
        } catch let e as EtcdError {
            if case .server(_, let message) = e, !e.isRetryableElsewhere { throw EtcdError.authentication("user \(name): \(message)") }
            throw e
        }
        let answer = try EtcdClient.decode(bytes, AuthenticateAnswer.self, path: "/v3/auth/authenticate")
        guard let token = answer.token, !token.isEmpty else {
            throw EtcdError.authentication("user \(name): no token in the answer (is auth enabled?)")
        }
        state.withLock { $0.tokens[i] = token }
        return token
    }
}
