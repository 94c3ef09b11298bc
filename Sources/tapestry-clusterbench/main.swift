import ClusterModel
import EtcdClient
import Foundation
import TapestryModel

// tapestry-clusterbench: simulated cluster hosts (the real EtcdClient, ClusterView and
// ClusterConvergence, many per process, no taps) against a real etcd. Prints "metric value" lines:
// registration, convergence after a `cluster apply` of every host, MAC propagation p50/p99 (a MAC
// put by one host until every host has it in its converged state), etcd write and watch-event rates.
//
//   tapestry-clusterbench --cluster etcd://H:P,… [--hosts 200] [--macs 50] [--segment-size 20]

struct Options {
    var cluster = ""
    var hosts = 200
    var macs = 50
    var segmentSize = 20

    init(_ args: [String]) {
        var i = 0
        while i < args.count {
            let v = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--cluster": cluster = v
            case "--hosts": hosts = Int(v) ?? hosts
            case "--macs": macs = Int(v) ?? macs
            case "--segment-size": segmentSize = Int(v) ?? segmentSize
            default: FileHandle.standardError.write(Data("unknown argument \(args[i])\n".utf8)); exit(2)
            }
            i += 2
        }
    }
}

/// One simulated host: its view of the cluster, kept current by its own watch, converged on every batch.
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

    func arrivals() -> [MACAddress: Date] { macArrivals }
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
    func underlay(_ i: Int) -> IPv4Address { IPv4Address(value: 0x0A64_0000 + UInt32(i)) }   // 10.100.x.y

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

    // Every host watches the cluster prefix from now.
    let start = try await client.getPrefix(keys.root).revision
    let sims = names.map { SimHost(name: $0, keys: keys) }
    let converged = ConvergeClock(count: o.hosts)
    var watchers: [Task<Void, Never>] = []
    for s in sims {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        watchers.append(Task {
            do {
                for try await u in client.watch(prefix: keys.root, startRevision: start + 1) {
                    if case .events(let batch, _) = u, await s.apply(batch) { wake.yield() }
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
    let txn = try await client.txn(compare: [.absent(keys.fabricMeta)], success: kvs.map { .put(key: $0.key, value: $0.value, lease: 0) })
    let applied = Date()
    guard txn.succeeded else { throw ClusterError("apply did not succeed") }
    let all = await converged.wait(seconds: 30)
    emit("apply_\(o.hosts)_hosts_txn_ms \(ms(applied.timeIntervalSince(t0)))")
    emit("converge_all_\(o.hosts)_hosts_ms \(all.map { ms($0.timeIntervalSince(t0)) } ?? "timeout")")

    // MAC publishing: every host puts `macs` MACs of its segment under its lease.
    var putAt: [MACAddress: Date] = [:]
    let eventsBefore = await sims.asyncMap { await $0.eventCount() }.reduce(0, +)
    t0 = Date()
    try await withThrowingTaskGroup(of: [(MACAddress, Date)].self) { g in
        for (i, h) in names.enumerated() {
            let seg = "s\(i / o.segmentSize)"
            let lease = leases[h]!
            let count = o.macs
            g.addTask {
                var sentAt: [(MACAddress, Date)] = []
                for m in 0..<count {
                    let mac = MACAddress(rawValue: 0x0200_0000_0000 | UInt64(i) << 16 | UInt64(m))
                    let key = keys.mac(segment: seg, vlan: VLANID(1)!, mac: mac)
                    let sent = Date()
                    try await client.put(key, ClusterCodec.encode(ClusterMACRecord(host: h, vtep: underlay(i + 1))), lease: lease)
                    sentAt.append((mac, sent))
                }
                return sentAt
            }
        }
        for try await list in g { for (m, t) in list { putAt[m] = t } }
    }
    let written = Date().timeIntervalSince(t0)
    let total = o.hosts * o.macs
    emit("mac_writes_per_s \(String(format: "%.0f", Double(total) / written))")
    // Wait until every host has every MAC (or 30 s).
    let deadline = Date().addingTimeInterval(30)
    var arrivals: [[MACAddress: Date]] = []
    while Date() < deadline {
        arrivals = await sims.asyncMap { await $0.arrivals() }
        if arrivals.allSatisfy({ $0.count >= total }) { break }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    let done = Date().timeIntervalSince(t0)
    let eventsAfter = await sims.asyncMap { await $0.eventCount() }.reduce(0, +)
    emit("watch_events_per_s \(String(format: "%.0f", Double(eventsAfter - eventsBefore) / done))")
    var propagation: [Double] = []
    var missing = 0
    for (mac, sent) in putAt {
        let times = arrivals.compactMap { $0[mac] }
        if times.count < o.hosts { missing += 1; continue }
        propagation.append(times.max()!.timeIntervalSince(sent))
    }
    emit("mac_propagation_p50_ms \(ms(percentile(propagation, 0.5)))")
    emit("mac_propagation_p99_ms \(ms(percentile(propagation, 0.99)))")
    emit("macs_missing_somewhere \(missing)")
    emit("all_macs_everywhere_ms \(ms(done))")

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
