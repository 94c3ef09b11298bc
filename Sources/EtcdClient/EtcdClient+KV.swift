/// Reads, writes, deletes and transactions.
extension EtcdClient {
    /// The key's current value, or nil.
    public func get(_ key: String) async throws -> EtcdKeyValue? {
        let a = try await call("/v3/kv/range", RangeBody(key: EtcdKeyRange.b64(key)), as: RangeAnswer.self)
        return a.kvs?.first
    }

    /// Every key under `prefix` (sorted by key) and the revision the read saw; `revision` > 0 reads the past.
    public func getPrefix(_ prefix: String, revision: Int64 = 0) async throws -> (kvs: [EtcdKeyValue], revision: Int64) {
        let body = RangeBody(key: EtcdKeyRange.b64(prefix), range_end: EtcdKeyRange.prefixEnd(prefix),
                             revision: revision > 0 ? String(revision) : nil)
        let a = try await call("/v3/kv/range", body, as: RangeAnswer.self)
        return (a.kvs ?? [], a.header?.revision ?? 0)
    }

    /// Writes a key (bound to `lease` unless 0); returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        let body = PutBody(key: EtcdKeyRange.b64(key), value: EtcdWireCoding.base64(value), lease: lease == 0 ? nil : String(lease))
        let a = try await call("/v3/kv/put", body, as: PutAnswer.self)
        return a.header?.revision ?? 0
    }

    /// Writes UTF-8 text.
    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0) async throws -> Int64 {
        try await put(key, Array(value.utf8), lease: lease)
    }

    /// Deletes a key; returns how many keys went (0 or 1).
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        try await call("/v3/kv/deleterange", DeleteRangeBody(key: EtcdKeyRange.b64(key)), as: DeleteRangeAnswer.self).deleted
    }

    /// Deletes every key under `prefix`; returns how many went.
    @discardableResult
    public func deletePrefix(_ prefix: String) async throws -> Int64 {
        let body = DeleteRangeBody(key: EtcdKeyRange.b64(prefix), range_end: EtcdKeyRange.prefixEnd(prefix))
        return try await call("/v3/kv/deleterange", body, as: DeleteRangeAnswer.self).deleted
    }

    /// One atomic transaction: when every `compare` holds, `success` runs, else `failure`.
    public func txn(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) async throws -> EtcdTxnResult {
        let body = TxnBody(compare: compare.map(\.body), success: success.map(\.body), failure: failure.map(\.body))
        let a = try await call("/v3/kv/txn", body, as: TxnAnswer.self)
        let reads = (a.responses ?? []).compactMap { $0.response_range.map { $0.kvs ?? [] } }
        return EtcdTxnResult(succeeded: a.succeeded ?? false, revision: a.header?.revision ?? 0, reads: reads)
    }
}
