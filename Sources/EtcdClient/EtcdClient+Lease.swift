/// Leases: keys bound to one vanish when it expires or is revoked.
extension EtcdClient {
    /// Grants a lease of `ttl` seconds; returns its id and the TTL etcd granted.
    public func grantLease(ttl: Int64) async throws -> (id: Int64, ttl: Int64) {
        let a = try await call("/v3/lease/grant", LeaseGrantBody(TTL: String(ttl)), as: LeaseAnswer.self)
        if let e = a.error, !e.isEmpty { throw EtcdError.server(code: 2, message: e) }
        guard a.id != 0 else { throw EtcdError.malformedResponse("lease grant without an ID") }
        return (a.id, a.ttl)
    }

    /// Renews a lease once; returns the TTL it has again. Throws `leaseExpired` when it is gone.
    @discardableResult
    public func keepAlive(lease: Int64) async throws -> Int64 {
        let a = try await call("/v3/lease/keepalive", LeaseIDBody(ID: String(lease)), as: StreamMessage<LeaseAnswer>.self)
        if let e = a.error { throw EtcdError.server(code: e.code ?? 2, message: e.message ?? "keepalive failed") }
        guard let r = a.result else { throw EtcdError.malformedResponse("keepalive without a result") }
        guard r.ttl > 0 else { throw EtcdError.leaseExpired(lease) }
        return r.ttl
    }

    /// Revokes a lease: every key bound to it is deleted. A lease already gone is no error.
    public func revokeLease(_ lease: Int64) async throws {
        do {
            _ = try await call("/v3/lease/revoke", LeaseIDBody(ID: String(lease)), as: LeaseAnswer.self)
        } catch EtcdError.server(_, let message) where message.contains("lease not found") {
        }
    }
}
