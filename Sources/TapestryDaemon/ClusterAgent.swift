import ClusterModel
import EtcdClient
import Foundation
import HostSystem
import Logging
import TapestryModel

/// The daemon's part in a cluster: keeps a lease (short TTL, renewed), registers the host under
/// it, reads and then watches `/tapestry/<cluster>/`, converges the bridges to the host's part of
/// the fabric through `BridgeService.commit` (so `config.json` keeps it for a restart without
/// etcd), publishes the MACs learned on local ports and installs the others' as static entries.
/// When etcd goes away the host keeps forwarding with what it last knew and tries again; when it
/// comes back (new lease if the old one expired) it reads everything again and reconverges.
final class ClusterAgent: @unchecked Sendable {
    let settings: ClusterSettings
    let keys: ClusterKeys
    let client: EtcdClient
    let bridges: BridgeService
    let log: Logger
    private let managedFile: String
    private let lock = NSLock()
    /// Under `lock`.
    private var view: ClusterView
    private var managed: Set<String>
    private var lease: Int64 = 0
    private var applied: (revision: Int64, error: String?) = (0, nil)
    /// MAC records put recently whose echo may not have come back yet: not put again meanwhile.
    private var recentPuts: [ClusterMACKey: (ClusterMACRecord, Date)] = [:]
    private var task: Task<Void, Never>?

    init(settings: ClusterSettings, bridges: BridgeService, stateDirectory: String, logger: Logger) throws {
        self.settings = settings
        keys = ClusterKeys(cluster: settings.cluster)
        client = try EtcdClient(settings.etcd)
        self.bridges = bridges
        log = logger
        managedFile = stateDirectory + "/cluster-managed.json"
        view = ClusterView(keys: keys, onlyHost: settings.host)
        let data = FileManager.default.contents(atPath: managedFile) ?? Data()
        managed = Set((try? JSONDecoder().decode([String].self, from: data)) ?? [])
    }

    func start() {
        task = Task { await self.run() }
    }

    /// Stops and gives the lease back (the host's registration and MACs vanish at once); waits at most 1 s.
    func stop() {
        task?.cancel()
        let id = lock.withLock { lease }
        let done = DispatchSemaphore(value: 0)
        let client = self.client
        Task {
            if id != 0 { try? await client.revokeLease(id) }
            await client.shutdown()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 1)
    }

    // MARK: - the loop

    private func run() async {
        var backoff = 0.2
        while !Task.isCancelled {
            do {
                let revision = try await connect()
                backoff = 0.2
                // Changes seen by the watch wake the converger; many changes while it works make one more round.
                let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.keepAlive() }
                    group.addTask { try await self.watch(from: revision + 1, wake: wake) }
                    group.addTask { for await _ in wakeups { await self.converge() } }
                    group.addTask { try await self.publishLoop() }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                log.warning("cluster \(settings.cluster): \(error); forwarding with what it knew, trying again")
            }
            try? await Task.sleep(nanoseconds: UInt64(backoff * 1e9))
            backoff = min(backoff * 2, 2)
        }
    }

    /// Grants a lease, registers, reads the cluster and converges; returns the revision read.
    private func connect() async throws -> Int64 {
        let granted = try await client.grantLease(ttl: settings.leaseTTL)
        lock.withLock { lease = granted.id; recentPuts = [:] }
        try await register()
        let (kvs, revision) = try await client.getPrefix(keys.root)
        var fresh = ClusterView(keys: keys, onlyHost: settings.host)
        for kv in kvs { fresh.apply(key: kv.keyString, value: kv.value, modRevision: kv.modRevision, lease: kv.lease) }
        for p in fresh.problems.values.sorted() { log.error("cluster: \(p)") }
        lock.withLock { view = fresh }
        log.info("cluster \(settings.cluster): host \(settings.host) registered (lease \(String(granted.id, radix: 16)), TTL \(granted.ttl) s), revision \(revision)")
        await converge()
        return revision
    }

    private func register() async throws {
        let (id, record) = lock.withLock {
            (lease, ClusterHostRecord(underlay: settings.underlay, version: Daemon.version, appliedRevision: applied.revision, error: applied.error))
        }
        try await client.put(keys.host(settings.host), ClusterCodec.encode(record), lease: id)
    }

    /// Renews the lease a few times per TTL; ends (throwing) when it is lost or cannot be renewed in time.
    private func keepAlive() async throws {
        let id = lock.withLock { lease }
        var lastRenewed = Date()
        let period = max(0.2, Double(settings.leaseTTL) / 3)
        while true {
            try await Task.sleep(nanoseconds: UInt64(period * 1e9))
            do {
                try await client.keepAlive(lease: id)
                lastRenewed = Date()
            } catch let e as EtcdError {
                if case .leaseExpired = e { throw e }
                if Date().timeIntervalSince(lastRenewed) > Double(settings.leaseTTL) { throw e }
                log.notice("cluster: could not renew the lease yet: \(e)")
            }
        }
    }

    private func watch(from revision: Int64, wake: AsyncStream<Void>.Continuation) async throws {
        for try await update in client.watch(prefix: keys.root, startRevision: revision) {
            switch update {
            case .events(let events, _):
                var changed = false
                lock.withLock {
                    for e in events {
                        let c = view.apply(key: e.kv.keyString, value: e.kind == .put ? e.kv.value : nil,
                                           modRevision: e.kv.modRevision, lease: e.kv.lease)
                        if let p = view.problems[e.kv.keyString] { log.error("cluster: \(p)") }
                        if c == .fabric || c == .macs { changed = true }
                    }
                }
                if changed { wake.yield() }
            case .disconnected(let why):
                log.notice("cluster: watch lost (\(why)); resuming")
            case .connected(let endpoint, _):
                log.debug("cluster: watching from \(endpoint)")
            }
        }
    }

    // MARK: - converging

    /// Commits the host's part of the fabric with the others' MACs; then records the revision reached.
    func converge() async {
        let (snapshot, before) = lock.withLock { (view, managed) }
        var after = before
        var failure: String?
        do {
            try bridges.commit({ old in
                let r = ClusterConvergence.desired(current: old, host: settings.host, view: snapshot, managed: before)
                after = r.managed
                return r.state
            }, touched: [])
        } catch {
            failure = "\(error)"
            log.error("cluster: could not converge to revision \(snapshot.fabricRevision): \(error)")
        }
        if after != before {
            lock.withLock { managed = after }
            try? AtomicFile.write((try? JSONEncoder().encode(after.sorted())) ?? Data(), to: managedFile)
        }
        let changed = lock.withLock { () -> Bool in
            let next = (snapshot.fabricRevision, failure)
            defer { applied = next }
            return applied.revision != next.0 || applied.error != next.1
        }
        if changed {
            do { try await register() } catch { log.notice("cluster: could not record the applied revision: \(error)") }
        }
    }

    // MARK: - MACs

    /// Publishes what the bridges learned on local ports, and withdraws what they no longer know.
    private func publishLoop() async throws {
        while true {
            try await publishOnce()
            try await Task.sleep(nanoseconds: UInt64(settings.publishInterval * 1e9))
        }
    }

    func publishOnce() async throws {
        let (snapshot, bridgeNames) = lock.withLock { (view, managed) }
        let learned = bridges.learnedMACs(on: bridgeNames)
        let wanted = ClusterMACPublisher.wanted(host: settings.host, view: snapshot, learned: learned)
        let diff = ClusterMACPublisher.diff(host: settings.host, wanted: wanted, view: snapshot)
        let now = Date()
        let (id, puts) = lock.withLock { () -> (Int64, [(ClusterMACKey, ClusterMACRecord)]) in
            let fresh = diff.put.filter { k, r in
                guard let (last, at) = recentPuts[k] else { return true }
                return last != r || now.timeIntervalSince(at) > 2
            }
            for (k, r) in fresh { recentPuts[k] = (r, now) }
            return (lease, fresh)
        }
        for (k, r) in puts {
            try await client.put(keys.mac(segment: k.segment, vlan: k.vlan, mac: k.mac), ClusterCodec.encode(r), lease: id)
        }
        for k in diff.delete {
            let key = keys.mac(segment: k.segment, vlan: k.vlan, mac: k.mac)
            // Only ours: a MAC that moved to another host carries that host's lease now.
            _ = try await client.txn(compare: [EtcdCompare(key: key, .equal, .lease(id))], success: [.delete(key: key)])
            _ = lock.withLock { recentPuts.removeValue(forKey: k) }
        }
    }
}
