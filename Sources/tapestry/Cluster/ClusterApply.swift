import ClusterModel
import EtcdClient
import Foundation
import Topology

/// `cluster apply` and `cluster plan`.
enum ClusterApply {
    /// The file's fabric, checked on its own.
    static func fabric(_ path: String, verb: String) throws(CLIError) -> ClusterFabric {
        let file: TopologyFile
        do { file = try TopologyParser.load(path: path) } catch { throw CLIError(message: error.description) }
        do { return try ClusterFabricBuilder.build(file) } catch { throw CLIError(message: "could not \(verb) \(path): \(error)") }
    }

    static func plan(file path: String, etcd: ClusterCLIOptions, format: OutputFormat) throws {
        let verb = "plan"
        let new = try fabric(path, verb: verb)
        let lines = try ClusterSession.run(etcd, verb: "plan \(path) against cluster \(etcd.name)") { s in
            let (view, _) = try await s.read()
            try check(new, view, path: path, verb: verb, cluster: s.keys.cluster)
            return ClusterPlan(from: view.fabric, to: new).changes.map(\.description)
        }
        if format == .json {
            print(String(decoding: try JSONEncoder().encode(lines), as: UTF8.self))
        } else {
            print(lines.isEmpty ? "no changes" : lines.joined(separator: "\n"))
        }
    }

    static func check(_ fabric: ClusterFabric, _ view: ClusterView, path: String, verb: String, cluster: String) throws(CLIError) {
        do { try fabric.check(against: view.hosts, cluster: cluster) } catch {
            throw CLIError(message: "could not \(verb) \(path): \(error)")
        }
    }

    /// Writes the fabric in one transaction that holds only if nobody applied meanwhile; a fabric
    /// too large for one (etcd's 128 operations) is written under `fabric/lock` in several, which
    /// the hosts hold back until the last (`EtcdClient.lockedWrite`); a failure half-way undoes them.
    static func run(file path: String, etcd: ClusterCLIOptions, wait: Double?, format: OutputFormat) throws {
        let new = try fabric(path, verb: "apply")
        let what = "apply \(path) to cluster \(etcd.name)"
        let revision = try ClusterSession.run(etcd, verb: what) { s -> Int64 in
            let (view, _) = try await s.read()
            try check(new, view, path: path, verb: "apply", cluster: s.keys.cluster)
            let meta = ClusterFabricMeta(source: path, hosts: new.hosts.keys.sorted(), segments: new.segments.keys.sorted())
            let wanted = new.keyValues(s.keys, meta: meta)
            let keep = Set(wanted.map(\.key))
            let stale = (view.segments.keys.map(s.keys.segment) + view.hostFabrics.keys.map(s.keys.hostFabric)).filter { !keep.contains($0) }
            let guardMeta = view.fabricRevision == 0 ? EtcdCompare.absent(s.keys.fabricMeta)
                                                    : EtcdCompare(key: s.keys.fabricMeta, .equal, .modRevision(view.fabricRevision))
            // What the undo of a failed multi-transaction apply writes back (a key absent before is deleted).
            let before = view.fabric.keyValues(s.keys, meta: view.meta ?? meta).filter { view.meta != nil || $0.key != s.keys.fabricMeta }
            let old = Dictionary(before.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let writes = wanted.map { ($0.key, Optional($0.value)) } + stale.sorted().map { ($0, [UInt8]?.none) }
            let revision: Int64
            do {
                revision = try await write(writes, old: old, guard: guardMeta, s, what: what)
            } catch let e as EtcdLockedWriteError {
                throw CLIError(message: "could not \(what): \(e)")
            }
            if let wait { try await waitConverged(s, hosts: Set(new.hosts.keys), revision: revision, seconds: wait, what: what) }
            return revision
        }
        if format == .json { print("{\"revision\": \(revision)}") }
    }

    /// One transaction when it fits, else several under the fabric lock (meta last); the revision written.
    static func write(_ writes: [(String, [UInt8]?)], old: [String: [UInt8]], guard guardMeta: EtcdCompare, _ s: ClusterSession,
                      what: String) async throws -> Int64 {
        func op(_ key: String, _ value: [UInt8]?) -> EtcdOperation {
            value.map { EtcdOperation.put(key: key, value: $0, lease: 0) } ?? .delete(key: key)
        }
        let refused = CLIError(message: "could not \(what): the fabric changed while it was being applied (another apply); run it again")
        if writes.count <= ClusterTxnLimit.maxOps {
            let result = try await s.client.txn(compare: [guardMeta], success: writes.map(op))
            guard result.succeeded else { throw refused }
            return result.revision
        }
        // Records first, meta last (its revision is what hosts report as applied); room for the lock's delete.
        let ordered = writes.filter { $0.0 != s.keys.fabricMeta } + writes.filter { $0.0 == s.keys.fabricMeta }
        let batches = ClusterTxnLimit.chunks(ordered, size: ClusterTxnLimit.maxOps - 1)
        let result = try await s.client.lockedWrite(lock: s.keys.fabricLock, guards: [guardMeta],
                                                    batches: batches.map { $0.map(op) },
                                                    undo: batches.map { $0.map { op($0.0, old[$0.0]) } })
        switch result {
        case .written(let revision): return revision
        case .refused: throw refused
        }
    }

    /// Waits until every host in `hosts` reports `revision` applied (or fails naming those that did not).
    static func waitConverged(_ s: ClusterSession, hosts: Set<String>, revision: Int64, seconds: Double, what: String) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var lagging: [String] = hosts.sorted()
        while Date() < deadline {
            let (view, _) = try await s.read()
            lagging = hosts.filter { (view.hosts[$0]?.appliedRevision ?? 0) < revision || view.hosts[$0]?.error != nil }.sorted()
            if lagging.isEmpty { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw CLIError(message: "could not \(what): not converged after \(seconds) s: \(lagging.joined(separator: ", "))")
    }
}
