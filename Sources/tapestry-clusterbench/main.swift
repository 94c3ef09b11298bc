import ClusterModel
import EtcdClient
import Foundation
import TapestryModel

// tapestry-clusterbench: simulated cluster hosts (the real EtcdClient, ClusterView and
// ClusterConvergence, many per process, no taps) against a real etcd, each watching what the
// daemon watches (`ClusterWatchPlan`: `fabric/` and the MACs of its segments) and publishing as
// the daemon does (batched transactions). Prints "metric value" lines: registration, convergence
// after a `cluster apply` of every host, MAC propagation p50/p99 (a MAC put by one host until every
// host of its segment has it in its converged state) when every host publishes its MACs at once
// ("burst") and when single MACs are learned one after another ("trickle"), etcd write and
// watch-event rates.
//
//   tapestry-clusterbench --cluster etcd://H:P,… [--hosts 200] [--macs 50] [--segment-size 20] [--trickle 200]

struct Options {
    var cluster = ""
    var hosts = 200
    var macs = 50
    var segmentSize = 20
    var trickle = 200

    init(_ args: [String]) {
        var i = 0
        while i < args.count {
            let v = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--cluster": cluster = v
            case "--hosts": hosts = Int(v) ?? hosts
            case "--macs": macs = Int(v) ?? macs
            case "--segment-size": segmentSize = Int(v) ?? segmentSize
            case "--trickle": trickle = Int(v) ?? trickle
            default: FileHandle.standardError.write(Data("unknown argument \(args[i])\n".utf8)); exit(2)
            }
            i += 2
        }
    }
}

/// One simulated host: its view of the cluster, kept current by its watches (`fabric/` and one
/// per carried segment, as the daemon's), converged on every batch.
actor SimHost {
    let name: String
    let keys: ClusterKeys
    var view: ClusterView
    var state = DesiredState()
    var managed: Set<String> = []
    var appliedRevision: Int64 = 0
    /// When each watched MAC reached this host's converged state.
    var macArrivals: [MACAddress: Date] = [:]
    var events = 0

    init(name: String, keys: ClusterKeys) { self.name = name; self.keys = keys; view = ClusterView(keys: keys, onlyHost: name) }

    /// MACs seen by the watch since the last convergence.
    var pending: [MACAddress] = []
    var dirty = false

    /// Takes a watch batch in; true when a convergence should follow.
    func apply(_ batch: [EtcdEvent]) -> Bool {
        for e in batch {
            let c = view.apply(key: e.kv.keyString, value: e.kind == .put ? e.kv.value : nil, modRevision: e.kv.modRevision, lease: e.kv.lease)
            if c == .fabric { dirty = true }
            if c == .macs, case .mac(_, _, let mac) = keys.parse(e.kv.keyString) { pending.append(mac); dirty = true }
        }
        events += batch.count
        return dirty
    }

    /// Converges as the daemon does (coalescing whatever arrived meanwhile); true when it reached a new fabric.
    func converge() -> Bool {
        guard dirty else { return false }
        dirty = false
        let r = ClusterConvergence.desired(current: state, host: name, view: view, managed: managed)
        state = r.state; managed = r.managed
        let now = Date()
        for m in pending where macArrivals[m] == nil { macArrivals[m] = now }
        pending.removeAll()
        let moved = view.fabricRevision != appliedRevision
        appliedRevision = view.fabricRevision
        return moved && view.hostFabrics[name] != nil
    }

    /// MAC watches of the segments this host carries.
    var segmentWatches: [String: Task<Void, Never>] = [:]

    /// Starts a MAC watch for each segment the host carries (reading its records first), stops the others'.
    func syncWatches(_ client: EtcdClient, wake: AsyncStream<Void>.Continuation) {
        let wanted = ClusterWatchPlan.segments(host: name, view: view)
        for (segment, task) in segmentWatches where !wanted.contains(segment) {
            task.cancel(); segmentWatches[segment] = nil; view.dropMACs(segment: segment)
        }
        for segment in wanted where segmentWatches[segment] == nil {
            let prefix = keys.macs(segment: segment)
            let name = self.name
            segmentWatches[segment] = Task {
                do {
                    let (kvs, at) = try await client.getPrefix(prefix)
                    await self.replace(segment, kvs)
                    wake.yield()
                    for try await u in client.watch(prefix: prefix, startRevision: at + 1) {
                        if case .events(let batch, _) = u, await self.apply(batch) { wake.yield() }
                    }
                } catch { FileHandle.standardError.write(Data("MAC watch of \(name)/\(segment): \(error)\n".utf8)) }
            }
        }
    }

    func replace(_ segment: String, _ kvs: [EtcdKeyValue]) {
        view.replaceMACs(segment: segment, with: kvs.map { ($0.keyString, $0.value) })
        for kv in kvs { if case .mac(_, _, let mac) = keys.parse(kv.keyString) { pending.append(mac) } }
        dirty = true
    }

    func stopWatches() { for t in segmentWatches.values { t.cancel() }; segmentWatches = [:] }

    func arrivals() -> [MACAddress: Date] { macArrivals }
    /// Those of `macs` that have not arrived yet.
    func missing(_ macs: Set<MACAddress>) -> Set<MACAddress> { macs.filter { macArrivals[$0] == nil } }
    func eventCount() -> Int { events }
}

func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }

func percentile(_ xs: [Double], _ q: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
}

func run(_ o: Options) async throws {
    var config = try EtcdConfiguration.parse(o.cluster)
    config.requestTimeout = 10
    let client = try EtcdClient(config)
    let keys = ClusterKeys(cluster: "bench\(getpid())")
    let names = (1...o.hosts).map { "h\($0)" }
    @Sendable func underlay(_ i: Int) -> IPAddress { IPAddress(ipv4: 0x0A64_0000 + UInt32(i)) }   // 10.100.x.y

    // Register every host under its own lease.
    var t0 = Date()
    var leases: [String: Int64] = [:]
    try await withThrowingTaskGroup(of: (String, Int64).self) { g in
        for (i, h) in names.enumerated() {
            g.addTask {
                let lease = try await client.grantLease(ttl: 900).id
                try await client.put(keys.host(h), ClusterCodec.encode(ClusterHostRecord(underlay: underlay(i + 1), version: "bench")), lease: lease)
                return (h, lease)
            }
        }
        for try await (h, l) in g { leases[h] = l }
    }
    emit("register_\(o.hosts)_hosts_ms \(ms(Date().timeIntervalSince(t0)))")

    // Every host watches what the daemon watches, from now.
    let start = try await client.getPrefix(keys.root).revision
    let sims = names.map { SimHost(name: $0, keys: keys) }
    let converged = ConvergeClock(count: o.hosts)
    var watchers: [Task<Void, Never>] = []
    for s in sims {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        watchers.append(Task {
            do {
                for try await u in client.watch(prefix: keys.fabricPrefix, startRevision: start + 1) {
                    if case .events(let batch, _) = u, await s.apply(batch) {
                        await s.syncWatches(client, wake: wake)
                        wake.yield()
                    }
                }
            } catch { FileHandle.standardError.write(Data("watch of \(s.name): \(error)\n".utf8)) }
        })
        watchers.append(Task { for await _ in wakeups { if await s.converge() { await converged.mark(s.name) } } })
    }
    try await Task.sleep(nanoseconds: 1_000_000_000)

    // cluster apply of every host: segments of `segmentSize` hosts, a bridge with one VM port and the tunnel per host.
    var fabric = ClusterFabric()
    for (i, h) in names.enumerated() {
        let seg = "s\(i / o.segmentSize)"
        let members = (0..<o.hosts).filter { $0 / o.segmentSize == i / o.segmentSize }
        let remotes = members.filter { $0 != i }.map { underlay($0 + 1) }
        var b = BridgeConfig(name: "br0", mode: .learning, macAging: 300, macTableSize: 8192)
        b.ports = [PortConfig(name: "vm1", type: .tap, mtu: 1450),
                   PortConfig(name: "vx\(1000 + i / o.segmentSize)", type: .vxlan,
                              vxlan: VXLANConfig(vni: 1000 + i / o.segmentSize, remotes: remotes, local: underlay(i + 1)))]
        fabric.hosts[h] = HostFabric(host: h, underlay: underlay(i + 1), bridges: [b])
        fabric.segments[seg, default: ClusterSegment(name: seg, vni: 1000 + i / o.segmentSize, bridge: "br0",
                                                     port: "vx\(1000 + i / o.segmentSize)", hosts: [])].hosts.append(h)
    }
    try fabric.validate()
    let kvs = fabric.keyValues(keys, meta: ClusterFabricMeta(source: "bench", hosts: names, segments: fabric.segments.keys.sorted()))
    t0 = Date()
    // As `tapestry cluster apply` writes it: more than one transaction holds (etcd's default 128
    // operations), so under the fabric lock, meta last.
    let ordered = kvs.filter { $0.key != keys.fabricMeta } + kvs.filter { $0.key == keys.fabricMeta }
    let batches = ClusterTxnLimit.chunks(ordered, size: ClusterTxnLimit.maxOps - 1).map { $0.map { EtcdOperation.put(key: $0.key, value: $0.value, lease: 0) } }
    let txn = try await client.lockedWrite(lock: keys.fabricLock, guards: [.absent(keys.fabricMeta)], batches: batches,
                                           undo: batches.map { $0.map { op in if case .put(let k, _, _) = op { return .delete(key: k) }; return op } })
    let applied = Date()
    guard case .written = txn else { throw ClusterError("apply did not succeed") }
    let all = await converged.wait(seconds: 30)
    emit("apply_\(o.hosts)_hosts_\(batches.count)_txns_ms \(ms(applied.timeIntervalSince(t0)))")
    emit("converge_all_\(o.hosts)_hosts_ms \(all.map { ms($0.timeIntervalSince(t0)) } ?? "timeout")")

    // Give the MAC watches a moment to start (each reads its segment first).
    try await Task.sleep(nanoseconds: 1_000_000_000)
    let segmentSize = o.segmentSize
    @Sendable func segmentOf(_ i: Int) -> String { "s\(i / segmentSize)" }
    let leaseOf = leases
    let membersOf = { (i: Int) in (0..<o.hosts).filter { $0 / o.segmentSize == i / o.segmentSize }.count }
    func macOf(_ i: Int, _ m: Int) -> MACAddress { MACAddress(rawValue: 0x0200_0000_0000 | UInt64(i) << 20 | UInt64(m)) }
    /// Publishes MACs as the daemon does: one transaction per 128 records, under the host's lease.
    @Sendable func publish(_ i: Int, _ macs: [MACAddress]) async throws {
        let h = names[i]
        for batch in ClusterTxnLimit.chunks(macs) {
            let ops = batch.map { mac in
                EtcdOperation.put(key: keys.mac(segment: segmentOf(i), vlan: VLANID(1)!, mac: mac),
                                  value: ClusterCodec.encode(ClusterMACRecord(host: h, vtep: underlay(i + 1))), lease: leaseOf[h] ?? 0)
            }
            _ = try await client.txn(compare: [], success: ops)
        }
    }
    /// Waits until every MAC of `sent` is at every host of its segment (or `seconds`); propagation times and how many are missing.
    func propagation(_ sent: [MACAddress: (Int, Date)], seconds: Double) async throws -> (times: [Double], missing: Int, done: Double, at: Date) {
        let began = sent.values.map(\.1).min() ?? Date()
        let deadline = Date().addingTimeInterval(seconds)
        // Polled cheaply (counts only: the bench shares the CPU with the hosts it measures).
        var wanted = Array(repeating: Set<MACAddress>(), count: sims.count)
        for (mac, (i, _)) in sent { for h in sims.indices where h / o.segmentSize == i / o.segmentSize { wanted[h].insert(mac) } }
        repeat {
            var complete = true
            for h in sims.indices where !wanted[h].isEmpty {
                wanted[h] = await sims[h].missing(wanted[h])
                if !wanted[h].isEmpty { complete = false; break }
            }
            if complete { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        } while Date() < deadline
        let arrivals = await sims.asyncMap { await $0.arrivals() }
        let at = Date()
        var times: [Double] = [], missing = 0
        for (mac, (i, t)) in sent {
            let got = arrivals.indices.filter { $0 / o.segmentSize == i / o.segmentSize }.compactMap { arrivals[$0][mac] }
            if got.count < membersOf(i) { missing += 1; continue }
            times.append((got.max() ?? t).timeIntervalSince(t))
        }
        return (times, missing, (arrivals.flatMap(\.values).max() ?? at).timeIntervalSince(began), at)
    }

    // Burst: every host publishes its `macs` MACs at once (a host coming up with its VMs, all hosts together).
    let eventsBefore = await sims.asyncMap { await $0.eventCount() }.reduce(0, +)
    t0 = Date()
    var burst: [MACAddress: (Int, Date)] = [:]
    try await withThrowingTaskGroup(of: [(MACAddress, Int, Date)].self) { g in
        for i in names.indices {
            g.addTask {
                let macs = (0..<o.macs).map { macOf(i, $0) }
                let sent = Date()
                try await publish(i, macs)
                return macs.map { ($0, i, sent) }
            }
        }
        for try await list in g { for (m, i, t) in list { burst[m] = (i, t) } }
    }
    let written = Date().timeIntervalSince(t0)
    let total = o.hosts * o.macs
    emit("mac_burst_writes_per_s \(String(format: "%.0f", Double(total) / written))")
    let b = try await propagation(burst, seconds: 30)
    let eventsAfter = await sims.asyncMap { await $0.eventCount() }.reduce(0, +)
    emit("watch_events_per_s \(String(format: "%.0f", Double(eventsAfter - eventsBefore) / b.at.timeIntervalSince(t0)))")
    emit("mac_burst_propagation_p50_ms \(ms(percentile(b.times, 0.5)))")
    emit("mac_burst_propagation_p99_ms \(ms(percentile(b.times, 0.99)))")
    emit("mac_burst_missing_somewhere \(b.missing)")
    emit("mac_burst_all_everywhere_ms \(ms(b.done))")

    // Trickle: single MACs learned one after another on random hosts, 20 ms apart (a cluster at work).
    var trickle: [MACAddress: (Int, Date)] = [:]
    for n in 0..<o.trickle {
        let i = Int.random(in: 0..<o.hosts)
        let mac = macOf(i, 0x80000 + n)
        trickle[mac] = (i, Date())
        try await publish(i, [mac])
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    if o.trickle > 0 {
        let tr = try await propagation(trickle, seconds: 30)
        emit("mac_trickle_propagation_p50_ms \(ms(percentile(tr.times, 0.5)))")
        emit("mac_trickle_propagation_p99_ms \(ms(percentile(tr.times, 0.99)))")
        emit("mac_trickle_missing_somewhere \(tr.missing)")
    }

    for s in sims { await s.stopWatches() }
    for w in watchers { w.cancel() }
    try? await client.deletePrefix(keys.root)
    for l in leases.values { try? await client.revokeLease(l) }
    await client.shutdown()
}

/// When every host first converged to the applied fabric.
actor ConvergeClock {
    let count: Int
    var done: Set<String> = []
    var last: Date?
    init(count: Int) { self.count = count }
    func mark(_ h: String) { if done.insert(h).inserted, done.count == count { last = Date() } }
    func wait(seconds: Double) async -> Date? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let last { return last }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return nil
    }
}

extension Array where Element: Sendable {
    func asyncMap<T: Sendable>(_ f: @Sendable (Element) async -> T) async -> [T] {
        var out: [T] = []
        for e in self { out.append(await f(e)) }
        return out
    }
}


let options = Options(Array(CommandLine.arguments.dropFirst()))
guard !options.cluster.isEmpty else { FileHandle.standardError.write(Data("usage: tapestry-clusterbench --cluster etcd://H:P,…\n".utf8)); exit(2) }
let finished = DispatchSemaphore(value: 0)
Task.detached {
    do { try await run(options) } catch { FileHandle.standardError.write(Data("clusterbench: \(error)\n".utf8)); exit(1) }
    finished.signal()
}
finished.wait()

/// One result line, written at once (stdout may be a file or a pipe).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
