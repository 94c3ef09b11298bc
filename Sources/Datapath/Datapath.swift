import CTapestryShims
import Foundation
import SwitchCore

/// The fast path: `threadCount` dedicated threads switching frames between the ports of every bridge.
///
/// Thread k polls queue k of every port (a multi-queue tap's queue k, its own AF_PACKET socket in
/// the port's fanout group, its own SO_REUSEPORT socket of each VXLAN endpoint); the kernel keeps
/// a flow on one queue, so a flow stays on one thread and in order. Each bridge has one engine
/// (one MAC table) shared by the threads without a lock per batch: lookups are lock-free, and
/// learning locks the table only for an entry that changes (MACLearningTable).
///
/// The control path never touches a thread's state while it runs: it stops every thread between
/// batches (`quiesce`, through each thread's `WorkerGate`; a thread asleep in epoll is not woken),
/// swaps the config or reads a MAC table, and lets them go on. So a config change has reached every
/// thread when `publish` returns, and the control path waits at most one batch per thread. The
/// fast path waits for the control path only while it is stopped.
public final class Datapath: Sendable {
    public static let defaultSpinMicros: UInt64 = 0
    /// The most datapath threads (a tap has at most 256 queues; far more than needed).
    public static let maxThreads = 64

    private let workers: [DatapathWorker]
    /// Serializes control-path access (one quiesce at a time).
    private let control = NSLock()
    /// Control-path state: the bridges' runtimes and the live captures (read and written only
    /// inside `quiesce`, under `control`).
    private let shared = SharedState()
    /// Scratch for frames the control path sends itself while the threads are stopped (under `control`).
    let controlContext = TransmitContext(queue: 0)

    public var threadCount: Int { workers.count }

    /// The default thread count: the online CPUs.
    public static var defaultThreads: Int { min(Int(tp_online_cpus()), maxThreads) }

    /// `threads`: datapath threads (1...maxThreads). `spinMicros`: how long a thread keeps polling
    /// after traffic before it sleeps (lower latency at the price of CPU; 0 turns it off).
    public init(threads: Int = 1, spinMicros: UInt64 = Datapath.defaultSpinMicros) throws {
        guard (1...Datapath.maxThreads).contains(threads) else {
            throw DatapathError("datapath threads must be 1-\(Datapath.maxThreads), not \(threads)")
        }
        var list: [DatapathWorker] = []
        for i in 0..<threads { list.append(try DatapathWorker(index: i, threadCount: threads, spinMicros: spinMicros)) }
        workers = list
        for w in list {
            let thread = Thread { w.run() }
            thread.name = "tapestry-dp\(w.index)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Stops every datapath thread between batches (an idle one is not even woken), runs `body`,
    /// and lets them go on.
    func quiesce<T>(_ body: (SharedState) -> T) -> T {
        control.lock(); defer { control.unlock() }
        for w in workers { w.gate.close() }
        let result = body(shared)
        for w in workers { w.gate.open() }
        return result
    }

    /// Runs `body` while every datapath thread is stopped between batches and returns its result.
    public func perform<T: Sendable>(_ body: (DatapathAccess) -> T) -> T {
        quiesce { state in body(DatapathAccess(datapath: self, state: state)) }
    }

    /// Installs `config`; returns once every datapath thread runs it (old fds may then be closed).
    public func publish(_ config: DatapathConfig) {
        quiesce { state in
            var next: [String: BridgeRuntime] = [:]
            var list: [BridgeRuntime] = []
            for bridge in config.bridges {
                let name = bridge.forwarding.bridge
                let runtime: BridgeRuntime
                if let r = state.runtimes[name] { r.engine.install(bridge.forwarding); runtime = r } else {
                    runtime = BridgeRuntime(engine: BridgeEngine(snapshot: bridge.forwarding))
                }
                runtime.engine.trapsSpanningTree = bridge.controlFrames != nil
                next[name] = runtime
                list.append(runtime)
            }
            state.runtimes = next
            state.config = config
            state.captures = state.captures.filter { !$0.isClosed }
            let byBridge = Datapath.captureWatches(state.captures, config: config, runtimes: list)
            state.sessionsByBridge = Datapath.byName(byBridge, config)
            for w in workers { w.adopt(config, runtimes: list, captures: byBridge) }
        }
    }

    /// Replaces the live captures on every thread (call inside `perform`).
    func setCaptures(_ list: [CaptureSession], _ state: SharedState) {
        state.captures = list
        let runtimes = state.config.bridges.compactMap { state.runtimes[$0.forwarding.bridge] }
        let byBridge = Datapath.captureWatches(list, config: state.config, runtimes: runtimes)
        state.sessionsByBridge = Datapath.byName(byBridge, state.config)
        for w in workers { w.setCaptures(byBridge) }
    }

    private static func byName(_ byBridge: [[CaptureSession]], _ config: DatapathConfig) -> [String: [CaptureSession]] {
        var d: [String: [CaptureSession]] = [:]
        for (b, bridge) in config.bridges.enumerated() { d[bridge.forwarding.bridge] = byBridge[b] }
        return d
    }

    /// Tells each bridge's engine what its live captures watch; returns per bridge the sessions in
    /// the order of those watches (a capture output names its session by that position).
    static func captureWatches(_ list: [CaptureSession], config: DatapathConfig, runtimes: [BridgeRuntime]) -> [[CaptureSession]] {
        config.bridges.enumerated().map { b, bridge in
            var sessions: [CaptureSession] = []
            var watches: [CaptureWatch] = []
            for s in list where s.bridge == bridge.forwarding.bridge && !s.isClosed {
                var id: UInt32?
                if let port = s.port {
                    guard let p = bridge.forwarding.ports.first(where: { $0.name == port }) else { continue }
                    id = p.id
                }
                sessions.append(s)
                watches.append(CaptureWatch(port: id, vlan: s.vlan, incoming: s.incoming, outgoing: s.outgoing))
            }
            runtimes[b].engine.setCaptureWatches(watches)
            return sessions
        }
    }

    /// Every thread serves the guests' transmit queues of its queue pairs: each re-reads their kick fds (call inside `quiesce`).
    func rewatchVhost() { for w in workers { w.rewatchVhost() } }

    /// Stops the threads after their current batch.
    public func stop() {
        for w in workers {
            w.running.store(false, ordering: .relaxed)
            _ = tp_eventfd_signal(w.wakefd)
        }
    }
}

/// What the control path shares with the datapath threads; touched only while they are stopped.
final class SharedState: @unchecked Sendable {
    var runtimes: [String: BridgeRuntime] = [:]
    var config = DatapathConfig.empty
    var captures: [CaptureSession] = []
    /// Per bridge: its live captures in the order of its engine's capture watches.
    var sessionsByBridge: [String: [CaptureSession]] = [:]
}

/// What a command running while the datapath is stopped may use: the bridges' engines and the clock.
public struct DatapathAccess {
    let datapath: Datapath
    let state: SharedState
    public func engine(_ bridge: String) -> BridgeEngine? { state.runtimes[bridge]?.engine }
    public var now: Int64 { Int64(tp_monotonic_ms()) }
    /// The live captures (closed ones are dropped at the next change).
    public var captures: [CaptureSession] { state.captures }
    public func setCaptures(_ list: [CaptureSession]) { datapath.setCaptures(list, state) }
    /// The ids of `bridge`'s captures in the order its pipeline names them (`FrameOutput.target`).
    public func captureIDs(of bridge: String) -> [Int] { (state.sessionsByBridge[bridge] ?? []).map(\.id) }
    /// Watches the vhost-user ports' current kick eventfds (call after replacing a port's queues).
    public func rewatchVhost() { datapath.rewatchVhost() }
}
