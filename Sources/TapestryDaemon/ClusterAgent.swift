import ClusterModel
import EtcdClient
import Foundation
import HostSystem
import Logging
import TapestryModel

/// The daemon's part in a cluster: keeps a lease (short TTL, renewed), registers the host under
/// it, reads and then watches `fabric/` and the MACs of the segments it carries (one watch each,
/// `ClusterWatchPlan`: a MAC change reaches only the hosts of its segment), converges the bridges to the host's part of
/// the fabric through `BridgeService.commit` (so `config.json` keeps it for a restart without
/// etcd), publishes the MACs learned on local ports and installs the others' as static entries.
/// When etcd goes away the host keeps forwarding with what it last knew and tries again; when it
/// comes back (new lease if the old one expired) it reads everything again and reconverges.
final class ClusterAgent: @unchecked Sendable {
    let settings: ClusterSettings
    let keys: ClusterKeys
    let client: EtcdClient
    let bridges: BridgeService
    /// The part's libvirt-style networks (defined and started through the network service).
    let networks: ClusterNetworkReconciler
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
    /// The agent's loop, under `lock` (started and stopped from different threads).
    private var task: Task<Void, Never>?
    /// One MAC watch per carried segment, under `lock`; cancelled when the session ends.
    private var segmentWatches: [String: Task<Void, Never>] = [:]
    /// Segments the host stopped carrying whose records of its own (MACs with their addresses) are
    /// still to be withdrawn from etcd, under `lock`.
    private var abandoned: Set<String> = []

    init(settings: ClusterSettings, bridges: BridgeService, networks: NetworkService, stateDirectory: String, logger: Logger) throws {
        self.settings = settings
        keys = ClusterKeys(cluster: settings.cluster)
        client = try EtcdClient(settings.etcd)
        self.bridges = bridges
        self.networks = ClusterNetworkReconciler(networks: networks, bridges: bridges, stateDirectory: stateDirectory, logger: logger)
        log = logger
        managedFile = stateDirectory + "/cluster-managed.json"
        view = ClusterView(keys: keys, onlyHost: settings.host)
        let data = FileManager.default.contents(atPath: managedFile) ?? Data()
        managed = Set((try? JSONDecoder().decode([String].self, from: data)) ?? [])
    }

    func start() {
        let loop = Task { await self.run() }
        lock.withLock { task = loop }
    }

    /// Stops and gives the lease back (the host's registration and MACs vanish at once); waits at most 1 s.
    func stop() {
        let (loop, id) = lock.withLock { (task, lease) }
        loop?.cancel()
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
                // Changes seen by the watches wake the converger; many changes while it works make one more round.
                let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                defer { stopSegmentWatches() }
                let revision = try await connect(wake: wake)
                backoff = 0.2
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

    /// Grants a lease, registers, reads the fabric and the MACs of the segments the host carries (at
    /// one revision), converges, and starts the segments' MAC watches; returns the revision read.
    private func connect(wake: AsyncStream<Void>.Continuation) async throws -> Int64 {
        let granted = try await client.grantLease(ttl: settings.leaseTTL)
        lock.withLock { lease = granted.id; recentPuts = [:] }
        try await register()
        let (kvs, revision) = try await client.getPrefix(keys.fabricPrefix)
        var fresh = ClusterView(keys: keys, onlyHost: settings.host)
        // An apply's lock first: what it has written so far is held back, as the watch would.
        let lockFirst = kvs.filter { $0.keyString == keys.fabricLock } + kvs.filter { $0.keyString != keys.fabricLock }
        for kv in lockFirst { fresh.apply(key: kv.keyString, value: kv.value, modRevision: kv.modRevision, lease: kv.lease) }
        for segment in ClusterWatchPlan.segments(host: settings.host, view: fresh) {
            let (macs, _) = try await client.getPrefix(keys.macs(segment: segment), revision: revision)
            for kv in macs { fresh.apply(key: kv.keyString, value: kv.value, modRevision: kv.modRevision, lease: kv.lease) }
        }
        for p in fresh.problems.values.sorted() { log.error("cluster: \(p)") }
        lock.withLock { view = fresh }
        syncSegmentWatches(from: revision, wake: wake)
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

    /// Follows `fabric/`; a change of the segments the host carries starts or stops their MAC watches.
    private func watch(from revision: Int64, wake: AsyncStream<Void>.Continuation) async throws {
        for try await update in client.watch(prefix: keys.fabricPrefix, startRevision: revision) {
            guard take(update), case .events(_, let at) = update else { continue }
            syncSegmentWatches(from: at, wake: wake)
            wake.yield()
        }
    }

    /// Applies a watch update to the view; true when it changed what the host converges to.
    private func take(_ update: EtcdWatchUpdate) -> Bool {
        switch update {
        case .events(let events, _):
            return lock.withLock {
                var changed = false
                for e in events {
                    let c = view.apply(key: e.kv.keyString, value: e.kind == .put ? e.kv.value : nil,
                                       modRevision: e.kv.modRevision, lease: e.kv.lease)
                    if let p = view.problems[e.kv.keyString] { log.error("cluster: \(p)") }
                    if c == .fabric || c == .macs { changed = true }
                }
                return changed
            }
        case .disconnected(let why):
            log.notice("cluster: watch lost (\(why)); resuming")
        case .connected(let endpoint, _):
            log.debug("cluster: watching from \(endpoint)")
        }
        return false
    }

    /// Starts a MAC watch for each segment the host carries now (its records read at `revision`:
    /// a segment just added reads them first) and stops those of segments it no longer carries.
    private func syncSegmentWatches(from revision: Int64, wake: AsyncStream<Void>.Continuation) {
        lock.withLock {
            let wanted = ClusterWatchPlan.segments(host: settings.host, view: view)
            for (segment, task) in segmentWatches where !wanted.contains(segment) {
                task.cancel()
                segmentWatches[segment] = nil
                view.dropMACs(segment: segment)
                abandoned.insert(segment)
            }
            abandoned.subtract(wanted)
            for segment in wanted where segmentWatches[segment] == nil {
                let known = view.macs.keys.contains { $0.segment == segment }
                segmentWatches[segment] = Task { await self.followMACs(of: segment, from: revision, readFirst: !known, wake: wake) }
            }
        }
    }

    private func stopSegmentWatches() {
        lock.withLock {
            for task in segmentWatches.values { task.cancel() }
            segmentWatches = [:]
        }
    }

    /// Follows `macs/<segment>/` from `revision` + 1 (reading the segment's records at `revision`
    /// first when asked); when the revision is gone (compacted) or a read fails, reads again.
    private func followMACs(of segment: String, from revision: Int64, readFirst: Bool, wake: AsyncStream<Void>.Continuation) async {
        let prefix = keys.macs(segment: segment)
        var start = revision, read = readFirst, backoff = 0.2
        while !Task.isCancelled {
            do {
                if read {
                    let (kvs, at) = try await client.getPrefix(prefix)
                    lock.withLock { view.replaceMACs(segment: segment, with: kvs.map { ($0.keyString, $0.value) }) }
                    start = at
                    wake.yield()
                }
                for try await update in client.watch(prefix: prefix, startRevision: start + 1) where take(update) {
                    wake.yield()
                }
            } catch {
                if Task.isCancelled { return }
                log.notice("cluster: MAC watch of segment \(segment): \(error); reading it again")
                try? await Task.sleep(nanoseconds: UInt64(backoff * 1e9))
                backoff = min(backoff * 2, 2)
            }
            read = true
        }
    }

    // MARK: - converging

    /// Brings the part's networks up (or down), then commits the host's part of the fabric with
    /// the others' MACs and the networks' ports; then records the revision reached.
    func converge() async {
        let (snapshot, before) = lock.withLock { (view, managed) }
        let wantedNetworks = snapshot.hostFabrics[settings.host]?.networks ?? []
        var problems = networks.converge(wantedNetworks)
        let (ports, portProblems) = networks.ports(wantedNetworks)
        problems += portProblems
        let portsBefore = networks.managedPorts
        var portsAfter = portsBefore
        var after = before
        var failure: String?
        do {
            try bridges.commit({ old in
                let r = ClusterConvergence.desired(current: old, host: settings.host, view: snapshot, managed: before,
                                                   arpSuppress: settings.arpSuppress)
                after = r.managed
                let n = ClusterNetworkPorts.desired(current: r.state, wanted: ports, managed: portsBefore)
                portsAfter = n.managed
                return n.state
            }, touched: [])
            networks.setManagedPorts(portsAfter)
        } catch {
            problems.append("\(error)")
        }
        if !problems.isEmpty {
            failure = problems.joined(separator: "; ")
            log.error("cluster: could not converge to revision \(snapshot.fabricRevision): \(failure ?? "")")
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
        let ips = settings.arpSuppress ? bridges.snoopedIPs(on: bridgeNames) : []
        let wanted = ClusterMACPublisher.wanted(host: settings.host, view: snapshot, learned: learned, ips: ips)
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
        // Puts in batches: one transaction per 128 records (etcd's limit), not one request per MAC.
        for batch in ClusterTxnLimit.chunks(puts) {
            let ops = batch.map { k, r in
                EtcdOperation.put(key: keys.mac(segment: k.segment, vlan: k.vlan, mac: k.mac), value: ClusterCodec.encode(r), lease: id)
            }
            _ = try await client.txn(compare: [], success: ops)
        }
        // Deletes of ours only (a MAC that moved to another host carries that host's lease now): one
        // transaction per batch, its conditions that every record is still ours; if one moved, key by key.
        for batch in ClusterTxnLimit.chunks(diff.delete) {
            let named = batch.map { ($0, keys.mac(segment: $0.segment, vlan: $0.vlan, mac: $0.mac)) }
            let all = try await client.txn(compare: named.map { EtcdCompare(key: $0.1, .equal, .lease(id)) },
                                           success: named.map { .delete(key: $0.1) })
            if !all.succeeded {
                for (_, key) in named {
                    _ = try await client.txn(compare: [EtcdCompare(key: key, .equal, .lease(id))], success: [.delete(key: key)])
                }
            }
            lock.withLock { for (k, _) in named { recentPuts.removeValue(forKey: k) } }
        }
        try await withdrawAbandoned(lease: id)
    }

    /// Deletes the records bound to the host's lease under `macs/<segment>/` of each segment it
    /// stopped carrying (the view no longer follows them, so the publisher's diff cannot see them):
    /// read once, deleted in transactions guarded by the lease on each key, key by key if one moved.
    private func withdrawAbandoned(lease id: Int64) async throws {
        for segment in lock.withLock({ abandoned.sorted() }) {
            let (kvs, _) = try await client.getPrefix(keys.macs(segment: segment))
            let ours = kvs.filter { $0.lease == id }.map(\.keyString)
            for batch in ClusterTxnLimit.chunks(ours) {
                let all = try await client.txn(compare: batch.map { EtcdCompare(key: $0, .equal, .lease(id)) },
                                               success: batch.map { .delete(key: $0) })
                if !all.succeeded {
                    for key in batch {
                        _ = try await client.txn(compare: [EtcdCompare(key: key, .equal, .lease(id))], success: [.delete(key: key)])
                    }
                }
            }
            if !ours.isEmpty { log.info("cluster: withdrew \(ours.count) MAC records of segment \(segment), no longer carried") }
            lock.withLock { _ = abandoned.remove(segment) }
        }
    }
}
