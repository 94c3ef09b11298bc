/// What a locked write did: every batch written (the revision of the last), or nothing because
/// the guards did not hold or another writer held the lock when it began.
public enum EtcdLockedWriteResult: Sendable, Equatable {
    case written(revision: Int64)
    case refused
}

/// A locked write that failed half-way: how far it got and whether the undo restored the rest.
public struct EtcdLockedWriteError: Error, Sendable, CustomStringConvertible {
    public var written: Int
    public var total: Int
    public var undone: Bool
    public var cause: String

    public var description: String {
        "\(cause) after \(written) of \(total) transactions; "
            + (undone ? "the written ones were undone" : "the undo failed too: what was written stays until written again")
    }
}

/// More operations than one transaction may hold (etcd's `--max-txn-ops`, 128 by default), written
/// so that readers which honour `lock` (hold back changes while it exists) see them at once.
extension EtcdClient {
    /// Takes `lock` (absent before, bound to a fresh lease of `lockTTL` s; only while `guards`
    /// hold), writes each of `batches` in a transaction that holds only while the lock is still
    /// ours and `guards` hold, and deletes the lock in the last one. When a batch fails, the
    /// written batches are undone with `undo` (one batch of `undo` per batch of `batches`, run in
    /// reverse) and the lock is released. Each batch must leave room for `guards.count + 1`
    /// compares and one more operation in the last.
    public func lockedWrite(lock: String, guards: [EtcdCompare], batches: [[EtcdOperation]], undo: [[EtcdOperation]],
                            lockTTL: Int64 = 10) async throws -> EtcdLockedWriteResult {
        let token = Array("\(UInt64.random(in: 1...UInt64.max))".utf8)
        let lease = try await grantLease(ttl: lockTTL).id
        defer { Task { [self] in try? await revokeLease(lease) } }
        let took = try await txn(compare: guards + [.absent(lock)], success: [.put(key: lock, value: token, lease: lease)])
        guard took.succeeded else { return .refused }
        let held = guards + [EtcdCompare(key: lock, .equal, .value(token))]
        var done = 0
        do {
            var revision = took.revision
            for (i, batch) in batches.enumerated() {
                try await keepAlive(lease: lease)
                let last = i == batches.count - 1
                let r = try await txn(compare: held, success: batch + (last ? [.delete(key: lock)] : []))
                guard r.succeeded else { throw EtcdError.server(code: 10, message: "the write lost its lock \(lock) or its guards stopped holding") }
                revision = r.revision
                done += 1
            }
            if batches.isEmpty { revision = try await txn(compare: held, success: [.delete(key: lock)]).revision }
            return .written(revision: revision)
        } catch {
            var undone = true
            for batch in undo.prefix(done).reversed() {
                do {
                    let r = try await txn(compare: [EtcdCompare(key: lock, .equal, .value(token))], success: batch)
                    if !r.succeeded { undone = false; break }
                } catch { undone = false; break }
            }
            _ = try? await txn(compare: [EtcdCompare(key: lock, .equal, .value(token))], success: [.delete(key: lock)])
            throw EtcdLockedWriteError(written: done, total: batches.count, undone: undone || done == 0, cause: EtcdClient.describe(error))
        }
    }
}
