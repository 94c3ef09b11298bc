import Foundation

/// How to reach an etcd cluster: its members' client endpoints (tried in order, the next one when
/// one fails), TLS files, user and password, and timeouts.
public struct EtcdConfiguration: Sendable, Equatable {
    /// One member's client address.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// PEM files for TLS: the CA that signed the members' certificates, and optionally a client
    /// certificate and key (for `--client-cert-auth`).
    public struct TLSFiles: Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public init(caFile: String?, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile; self.certFile = certFile; self.keyFile = keyFile
        }
    }

    public var endpoints: [Endpoint]
    public var tls: TLSFiles?
    public var username: String?
    public var password: String?
    /// Seconds to wait for a TCP connection to one member before trying the next.
    public var connectTimeout: Double
    /// Seconds one request may take on one member.
    public var requestTimeout: Double

    public init(endpoints: [Endpoint], tls: TLSFiles? = nil, username: String? = nil, password: String? = nil,
                connectTimeout: Double = 1, requestTimeout: Double = 5) {
        self.endpoints = endpoints; self.tls = tls; self.username = username; self.password = password
        self.connectTimeout = connectTimeout; self.requestTimeout = requestTimeout
    }

    /// Reads `etcd://H1:2379,H2:2379,…` (also `etcds://`, `http://`, `https://`, or bare `H:P,…`);
    /// a member without a port gets 2379. `etcds`/`https` ask for TLS (with the system's CAs unless
    /// `tls` names a CA).
    public static func parse(_ text: String, tls: TLSFiles? = nil, username: String? = nil,
                             password: String? = nil) throws -> EtcdConfiguration {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var wantsTLS = tls != nil
        for (scheme, secure) in [("etcd://", false), ("etcds://", true), ("http://", false), ("https://", true)] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            wantsTLS = wantsTLS || secure
            break
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty else { throw EtcdError.configuration("no etcd endpoint in '\(text)'") }
        var endpoints: [Endpoint] = []
        for part in rest.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try parseEndpoint(String(part), in: text))
        }
        return EtcdConfiguration(endpoints: endpoints, tls: wantsTLS ? (tls ?? TLSFiles(caFile: nil)) : nil,
                                 username: username, password: password)
    }

    private static func parseEndpoint(_ part: String, in text: String) throws -> Endpoint {
        let p = part.trimmingCharacters(in: .whitespaces)
        guard !p.isEmpty else { throw EtcdError.configuration("empty endpoint in '\(text)'") }
        var host = p
        var portText: String?
        if p.hasPrefix("[") {
            guard let close = p.firstIndex(of: "]") else { throw EtcdError.configuration("endpoint '\(p)' lacks ']'") }
            host = String(p[p.index(after: p.startIndex)..<close])
            let after = p[p.index(after: close)...]
            if after.hasPrefix(":") { portText = String(after.dropFirst()) } else if !after.isEmpty {
                throw EtcdError.configuration("endpoint '\(p)' has junk after ']'")
            }
        } else if let colon = p.lastIndex(of: ":") {
            host = String(p[..<colon]); portText = String(p[p.index(after: colon)...])
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) }) else {
            throw EtcdError.configuration("endpoint '\(p)' has no valid host")
        }
        var port = 2379
        if let t = portText {
            guard let v = Int(t), (1...65535).contains(v) else {
                throw EtcdError.configuration("endpoint '\(p)' has a bad port '\(t)' (1-65535)")
            }
            port = v
        }
        return Endpoint(host: host, port: port)
    }

    /// The base URL of member `i` (`http://H:P` or `https://H:P`).
    func baseURL(_ i: Int) -> String { (tls == nil ? "http://" : "https://") + endpoints[i].description }
}
