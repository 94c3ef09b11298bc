// The fast path, in order (N threads, each its own copy of this loop; no allocation, logging or
// throwing per frame):
//
//   epoll wakeup → for each ready source (a port's queue k for thread k, or a VXLAN endpoint's
//   socket k): backend.receive fills the thread's ReceiveBatch (buffers with headroom; taps: read(2)
//   per frame until EAGAIN, or one frame per round while the queue sees one per wakeup (epoll is
//   level-triggered); AF_PACKET: one recvmmsg; VXLAN: one recvmmsg, decapsulated in place; vhost-user:
//   copied out of the guest's transmit queues, polled while busy) → per frame,
//   without a lock: BridgeEngine.decide (classify VLAN, learn source, look up destination; the
//   bridge's one MAC table takes its writer lock only for an entry that changes), outputs queued
//   as tp_tx_slots (the frame, its virtio-net header, the tag edit, a tunnel remote), mirror and
//   capture copies → flush: the queued slots grouped by output port (order kept)
//   and handed to each port's backend.send in one call (AF_PACKET: one sendmmsg; taps: writev each
//   with the tag edit done by scatter-gather; VXLAN: encapsulated; patch: copied into the loopback
//   batch) → the loopback batch runs through the peer bridges the same way → counters, one lane
//   per thread; every drop counted on its port by reason.
//
//   Between batches: the control path may hold the thread's gate (WorkerGate) while it swaps the
//   config or reads or edits a MAC table; a busy thread checks after every batch whether it must
//   hand the gate over. Once a second thread 0 ages the MAC tables.

import CTapestryShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SwitchCore
import Synchronization
import VhostUser

/// One datapath thread. Its fields are written by the control path only while it holds the thread's gate.
final class DatapathWorker: @unchecked Sendable {
    static let wakeToken: UInt64 = .max
    static let vnetLength = Int(TP_VNET_HDR_LEN)
    /// Frames queued for sending before a flush is forced.
    static let pendingCapacity = 1024
    /// Frames per pipeline call.
    static let decisionBatch = 32
    /// Outputs per frame assumed when making room in the send queue before a pipeline call
    /// (a flood to more ports than this flushes the queue early, through `enqueue`).
    static let outputsPerFrameBudget = 8
    /// How many times a frame may cross patch ports (a loop of patch pairs ends here).
    static let maxPatchHops = 8

    let index: Int
    /// How many datapath threads there are (queue pair k of a guest goes to thread k mod this).
    let threadCount: Int
    let epfd: Int32
    let wakefd: Int32
    let running = Atomic<Bool>(true)
    /// How the control path stops this thread between batches.
    let gate = WorkerGate()
    let spinMicros: UInt64

    /// A port as this thread sees it.
    struct Port {
        let name: String
        let bridge: Int
        let slot: Int
        let backend: any PortBackend
        let lane: CounterLane
        /// For a patch port: the global index of its peer (-1: none).
        var peer: Int
    }
    /// A polled source: a port's queue (ingress ≥ 0) or an endpoint that demultiplexes by key.
    struct Source {
        let source: any FrameSource
        let ingress: Int
        let routes: [UInt32: Int]
        let lane: CounterLane
    }

    // The adopted configuration (written by the control path while it holds the gate).
    private(set) var config = DatapathConfig.empty
    private var runtimes: [BridgeRuntime] = []
    /// `runtimes[b].engine`, unretained (`runtimes` keeps them): the batch loop writes no reference count.
    private var engines: [Unmanaged<BridgeEngine>] = []
    private var ports: [Port] = []
    /// Per bridge: the global index of each slot.
    private var portIndex: [[Int]] = []
    private var sources: [Source] = []
    private var fdSource: [Int32: Int] = [:]
    /// Per bridge: its live captures, in the order of its engine's capture watches.
    private var capturesByBridge: [[CaptureSession]] = []
    /// The frames of one ingress port handed to the decision pipeline, and where each one's virtio-net header is.
    private let decisions = FrameBatch(capacity: DatapathWorker.decisionBatch)
    private let decisionVnet: UnsafeMutablePointer<UnsafeMutableRawPointer>

    private let batch = ReceiveBatch()
    private let context: TransmitContext
    /// Frames held back by ports' egress shaping and impairments.
    private let egress: EgressScheduler
    private let pending: UnsafeMutablePointer<tp_tx_slot>
    private let pendingPort: UnsafeMutablePointer<Int32>
    private let sorted: UnsafeMutablePointer<tp_tx_slot>
    private var pendingCount = 0
    private var portCount: UnsafeMutablePointer<Int32>
    private var portCountCapacity = 0
    private var touched: [Int32] = []
    private let events: UnsafeMutablePointer<UInt64>
    private var lastExpire: Int64 = 0
    /// A vhost-user port whose guest transmit queues this thread serves: those of queue pairs k with
    /// k mod threadCount == index (the queues as installed, valid until the next `rewatchVhost`).
    /// A class, not a struct: taking one out of `vhostPorts` each polling round retains it once,
    /// not each of its six references.
    final class VhostSource {
        let backend: VhostUserBackend
        let source: Source
        let queues: VhostUserQueues
        let transmit: [SplitVirtqueue]
        /// This thread's lane of the port's per-queue counters.
        let queueLane: VhostUserQueueLane

        init(backend: VhostUserBackend, source: Source, queues: VhostUserQueues, transmit: [SplitVirtqueue],
             queueLane: VhostUserQueueLane) {
            self.backend = backend; self.source = source; self.queues = queues; self.transmit = transmit
            self.queueLane = queueLane
        }
    }
    /// The vhost-user ports with transmit queues served by this thread.
    private var vhostPorts: [VhostSource] = []
    /// The watched kick eventfds of this thread's guest transmit queues (fd → `vhostPorts` index).
    private var kickFD: [Int32: Int] = [:]
    /// A vhost-user transmit queue still had frames after its batch, or is polled (no kick fd):
    /// the loop does not sleep.
    private var vhostBusy = false
    /// Some vhost-user transmit queues ran empty while the thread was spinning and were left with
    /// their kicks off (the thread polls them again before it sleeps, so the guest need not make a
    /// system call per burst to kick): they are switched back on before the thread sleeps.
    private var vhostKicksOff = false
    /// Until when (tp_monotonic_us) the thread keeps polling (`spinMicros` after the last traffic).
    private var spinUntil: UInt64 = 0

    init(index: Int, threadCount: Int = 1, spinMicros: UInt64) throws {
        self.index = index
        self.threadCount = max(threadCount, 1)
        self.spinMicros = spinMicros
        epfd = tp_epoll_create()
        wakefd = tp_eventfd_create()
        guard epfd >= 0, wakefd >= 0 else { throw DatapathError("could not create epoll or eventfd") }
        guard tp_epoll_add(epfd, wakefd, DatapathWorker.wakeToken) == 0 else { throw DatapathError("could not watch eventfd") }
        context = TransmitContext(queue: index)
        egress = EgressScheduler(vnetLength: DatapathWorker.vnetLength, context: context)
        decisionVnet = .allocate(capacity: DatapathWorker.decisionBatch)
        pending = .allocate(capacity: DatapathWorker.pendingCapacity)
        pendingPort = .allocate(capacity: DatapathWorker.pendingCapacity)
        sorted = .allocate(capacity: DatapathWorker.pendingCapacity)
        portCount = .allocate(capacity: 1)
        events = .allocate(capacity: 64)
        touched.reserveCapacity(256)
    }

    deinit {
        decisionVnet.deallocate(); pending.deallocate(); pendingPort.deallocate(); sorted.deallocate(); portCount.deallocate(); events.deallocate()
        close(epfd); close(wakefd)
    }

    /// The thread body: runs until `running` is cleared and the eventfd is signalled.
    func run() {
        _ = tp_set_thread_name("tapestry-dp\(index)")
        while running.load(ordering: .relaxed) {
            var n = 0
            if vhostBusy {
                n = Int(tp_epoll_wait(epfd, events, 64, 0))
            } else if spinMicros > 0 && tp_monotonic_us() < spinUntil {
                n = Int(tp_epoll_wait(epfd, events, 64, 0))
                if n == 0 && vhostPorts.isEmpty { continue }
            } else {
                n = Int(tp_epoll_wait(epfd, events, 64, egressWaitMillis()))
            }
            if n > 0 && spinMicros > 0 { spinUntil = tp_monotonic_us() + spinMicros }
            let now = Int64(tp_monotonic_ms())
            gate.activity.lock()
            if !egress.isIdle { egress.releaseDue(now: Int64(tp_monotonic_us()) &* 1000) }
            // vhost-user transmit queues are polled, not just served on kicks, while they
            // had frames left after a batch (their kicks are then off), while spinning, and after a quiet second.
            let polling = vhostBusy || (spinMicros > 0 && !vhostPorts.isEmpty) || n == 0
            vhostBusy = false
            for i in 0..<max(n, 0) {
                let token = events[i]
                if token == DatapathWorker.wakeToken {
                    _ = tp_eventfd_drain(wakefd)
                    continue
                }
                // The fds of this wakeup may have been dropped while the control path had the thread.
                let fd = Int32(truncatingIfNeeded: token)
                if let s = fdSource[fd] {
                    receive(s, now: now)
                } else if let v = kickFD[fd] {
                    _ = tp_eventfd_drain(fd)
                    if !polling { receiveVhost(v, now: now) }
                } else { continue }
                // The control path never waits longer than one batch.
                if gate.wanted.load(ordering: .acquiring) { gate.yield() }
            }
            if polling {
                // The count is read again each round: while the thread yields, the control path may
                // replace `vhostPorts` (a guest's queues stopped, a port removed, shutdown), and an
                // index taken before would run past the end of the new list.
                var v = 0
                while v < vhostPorts.count {
                    receiveVhost(v, now: now)
                    v += 1
                    if gate.wanted.load(ordering: .acquiring) { gate.yield() }
                }
            }
            // The thread is about to sleep: the guests kick again (a frame that came meanwhile keeps it awake).
            if vhostKicksOff && !vhostBusy && !(spinMicros > 0 && tp_monotonic_us() < spinUntil) { armVhostKicks() }
            if index == 0 && now - lastExpire >= 1000 {
                lastExpire = now
                for r in runtimes { r.engine.expire(now: now) }
            }
            gate.activity.unlock()
        }
    }

    /// How long epoll may sleep: a second, or until the next frame held by an egress policy is due.
    private func egressWaitMillis() -> Int32 {
        guard let due = egress.nextRelease else { return 1000 }
        let wait = (due - Int64(tp_monotonic_us()) &* 1000 + 999_999) / 1_000_000
        return Int32(max(0, min(wait, 1000)))
    }

    // MARK: - configuration (called by the control path while it holds this thread's gate)

    /// Switches to `next` with the shared bridge runtimes (aligned with `next.bridges`).
    func adopt(_ next: DatapathConfig, runtimes nextRuntimes: [BridgeRuntime], captures: [[CaptureSession]]) {
        var list: [Port] = []
        var index: [[Int]] = []
        var byName: [String: Int] = [:]
        for (b, bridge) in next.bridges.enumerated() {
            var slots: [Int] = []
            for (s, p) in bridge.ports.enumerated() {
                slots.append(list.count)
                byName[p.name] = list.count
                list.append(Port(name: p.name, bridge: b, slot: s, backend: p.backend, lane: p.counters.lane(self.index), peer: -1))
            }
            index.append(slots)
        }
        for g in list.indices {
            if let patch = list[g].backend as? PatchBackend { list[g].peer = byName[patch.peer] ?? -1 }
        }
        var srcs: [Source] = []
        var fds: [Int32: Int] = [:]
        for (g, p) in list.enumerated() where p.backend.queueCount > self.index {
            let fd = p.backend.receiveFD(queue: self.index)
            guard fd >= 0 else { continue }
            fds[fd] = srcs.count
            srcs.append(Source(source: p.backend, ingress: g, routes: [:], lane: p.lane))
        }
        for tunnel in next.tunnels where tunnel.queueCount > self.index {
            var routes: [UInt32: Int] = [:]
            for (g, p) in list.enumerated() {
                if let v = p.backend as? VXLANPortBackend, v.binding.tunnel === tunnel { routes[v.binding.vni] = g }
            }
            let fd = tunnel.receiveFD(queue: self.index)
            guard fd >= 0 else { continue }
            fds[fd] = srcs.count
            srcs.append(Source(source: tunnel, ingress: -1, routes: routes, lane: tunnel.counters.lane(self.index)))
        }
        if list.count > portCountCapacity {
            portCount.deallocate()
            portCountCapacity = max(list.count, 2 * portCountCapacity)
            portCount = .allocate(capacity: portCountCapacity)
        }
        portCount.initialize(repeating: 0, count: max(portCountCapacity, 1))
        ports = list
        portIndex = index
        sources = srcs
        runtimes = nextRuntimes
        engines = nextRuntimes.map { Unmanaged.passUnretained($0.engine) }
        config = next
        egress.keep(only: next.bridges.flatMap(\.ports))
        watch(fds)
        setCaptures(captures)
    }

    /// Watches the sources `fds` and the kick eventfds of this thread's vhost-user transmit queues
    /// (queue pair k → thread k mod threadCount); stops watching the rest.
    private func watch(_ fds: [Int32: Int]) {
        var vhost: [VhostSource] = []
        var kicks: [Int32: Int] = [:]
        for (g, p) in ports.enumerated() {
            guard let v = p.backend as? VhostUserBackend, let qs = v.port.queues else { continue }
            let mine = qs.transmit.filter { ($0.index / 2) % threadCount == self.index }
            guard !mine.isEmpty else { continue }
            for q in mine {
                if q.kickFD >= 0 { kicks[q.kickFD] = vhost.count } else { vhostBusy = true }
                q.enableKicks()
            }
            vhost.append(VhostSource(backend: v, source: Source(source: v, ingress: g, routes: [:], lane: p.lane),
                                     queues: qs, transmit: mine, queueLane: v.port.queueCounters.lane(self.index)))
        }
        let old = Set(fdSource.keys).union(kickFD.keys)
        let new = Set(fds.keys).union(kicks.keys)
        for fd in old where !new.contains(fd) { _ = tp_epoll_del(epfd, fd) }
        for fd in new where !old.contains(fd) { _ = tp_epoll_add(epfd, fd, UInt64(UInt32(bitPattern: fd))) }
        fdSource = fds
        kickFD = kicks
        vhostPorts = vhost
    }

    /// Re-reads the vhost-user ports' kick fds after their queues were replaced (control path, thread stopped).
    func rewatchVhost() { watch(fdSource) }

    /// The live captures of each bridge, in the order of its engine's capture watches (`FrameOutput.target`).
    func setCaptures(_ byBridge: [[CaptureSession]]) {
        capturesByBridge = byBridge
    }

    // MARK: - receive and switch

    private func receive(_ s: Int, now: Int64) {
        let src = sources[s]
        batch.reset(batch.bufferCount)
        let n = src.source.receive(queue: index, into: batch, counters: src.lane)
        guard n > 0 else { return }
        switchFrames(batch, count: n, source: src, loopbackPorts: nil, now: now)
        flush()
        runLoopback(now: now)
    }

    /// Takes up to a batch from each of this thread's transmit queues of vhost-user port `v` (copied
    /// out of guest memory: the guest cannot change them under the switch), switches it, returns the
    /// buffers to the guest, and keeps the loop awake while frames remain.
    private func receiveVhost(_ v: Int, now: Int64) {
        let entry = vhostPorts[v]
        let backend = entry.backend, src = entry.source, qs = entry.queues
        let nowMicros = spinMicros > 0 ? tp_monotonic_us() : 0
        for q in entry.transmit {
            batch.reset(batch.bufferCount)
            // The batch's descriptors and frames start loading together (a hint; `receive` checks all).
            q.prefetch(max: batch.bufferCount, bytes: 128, write: false)
            var k = 0
            var taken = 0
            taking: while taken < batch.bufferCount {
                taken += 1
                let vnet = batch.data[k]
                switch VirtioNetTransfer.receive(from: q, headerLength: qs.headerLength, into: vnet, capacity: batch.room(k)) {
                case .empty: break taking
                case .fault(let f): src.lane.dropped(VhostUserPort.reason(f))
                case .frame(let length):
                    backend.port.sanitize(vnet, qs)
                    batch.length[k] = length
                    k += 1
                }
            }
            if k > 0 {
                if spinMicros > 0 { spinUntil = nowMicros + spinMicros }
                var bytes = 0
                for j in 0..<k { bytes &+= batch.length[j] }
                entry.queueLane.received(pair: q.index >> 1, packets: k, bytes: bytes &- k &* DatapathWorker.vnetLength)
                switchFrames(batch, count: k, source: src, loopbackPorts: nil, now: now)
                flush()
                runLoopback(now: now)
            }
            q.publishAndSignal()
            if q.kickFD < 0 || q.pending() > 0 {
                vhostBusy = true
                q.disableKicks()
            } else if spinMicros > 0 && nowMicros < spinUntil {
                // Empty, but polled again before the thread sleeps (`armVhostKicks` then): no kicks.
                q.disableKicks()
                vhostKicksOff = true
            } else {
                q.enableKicks()
                if q.pending() > 0 { vhostBusy = true }
            }
        }
    }

    /// Switches kicks back on for every transmit queue this thread serves (before it sleeps); a queue
    /// that got frames meanwhile keeps the thread awake.
    private func armVhostKicks() {
        vhostKicksOff = false
        for entry in vhostPorts {
            for q in entry.transmit where q.kickFD >= 0 {
                q.enableKicks()
                if q.pending() > 0 { vhostBusy = true }
            }
        }
    }

    /// Runs the frames sent into patch ports through their peers' bridges, hop by hop.
    private func runLoopback(now: Int64) {
        var hops = 0
        while context.loopbackCount > 0 {
            hops += 1
            let (lb, lbPorts, count) = context.takeLoopback()
            if hops > DatapathWorker.maxPatchHops {
                for k in 0..<count { ports[Int(lbPorts[k])].lane.dropped(.txError) }
                continue
            }
            switchFrames(lb, count: count, source: nil, loopbackPorts: lbPorts, now: now)
            flush()
        }
    }

    /// Hands the frames of `b` to the decision pipeline, one run of frames of the same ingress port
    /// at a time, and queues their outputs. The ingress of frame k is the source's port, the port
    /// its key routes to (a tunnel), or the peer of the patch port it was sent into.
    private func switchFrames(_ b: ReceiveBatch, count: Int, source: Source?, loopbackPorts: UnsafeMutablePointer<Int32>?, now: Int64) {
        decisions.removeAll()
        var ingress = -1
        // The source's port read once per batch: binding the optional `Source` per frame copied it,
        // retaining and releasing its backend and routes table for every frame.
        var sourcePort = -1
        if loopbackPorts == nil, let src = source { sourcePort = src.ingress }
        for k in 0..<count {
            let g: Int
            var inRemote: UInt32 = 0
            if let lbPorts = loopbackPorts {
                g = ports[Int(lbPorts[k])].peer
                if g < 0 { ports[Int(lbPorts[k])].lane.dropped(.noOutput); continue }
            } else if sourcePort >= 0 {
                g = sourcePort
            } else if let src = source {
                guard let route = src.routes[b.key[k]] else { src.lane.dropped(.vxlanUnknownVNI); continue }
                inRemote = b.remote[k]
                guard ports[route].backend.accepts(remote: inRemote) else { ports[route].lane.dropped(.vxlanUnknownRemote); continue }
                g = route
            } else { continue }
            if g != ingress || decisions.isFull || pendingCount + DatapathWorker.outputsPerFrameBudget > DatapathWorker.pendingCapacity {
                decideAndQueue(ingress, now: now)
                ingress = g
            }
            let length = b.length[k]
            guard length >= DatapathWorker.vnetLength else { ports[g].lane.dropped(.runt); continue }
            let frame = UnsafeRawBufferPointer(start: b.data[k] + DatapathWorker.vnetLength, count: length - DatapathWorker.vnetLength)
            ports[g].lane.received(bytes: frame.count)
            decisionVnet[decisions.count] = b.data[k]
            decisions.append(frame, remote: inRemote)
        }
        decideAndQueue(ingress, now: now)
    }

    /// Runs the pipeline over the frames gathered for ingress port `g` (no lock: other threads may
    /// decide frames of the same bridge at the same time) and queues every frame's outputs in order; capture copies go out at once.
    private func decideAndQueue(_ g: Int, now: Int64) {
        guard g >= 0, decisions.count > 0 else { decisions.removeAll(); return }
        if pendingCount + decisions.count * DatapathWorker.outputsPerFrameBudget > DatapathWorker.pendingCapacity { flush() }
        // Nothing shared is retained per batch: a retain writes the object's reference count, on a
        // line the other threads deciding the same bridge read. The engine and its snapshot go
        // unretained (`runtimes` and the engine keep them; they change only while the control path
        // holds this thread's gate), the port's fields are read in place, and the bridge's ports,
        // control queue and captures are read only by the rare outputs that need them.
        let b = ports[g].bridge
        let inSlot = ports[g].slot
        let inLane = ports[g].lane
        let engine = engines[b]
        decisions.clockNanos = Int64(tp_monotonic_us()) &* 1000
        engine._withUnsafeGuaranteedRef { $0.decide(decisions, inSlot: inSlot, now: now) }
        let snapshot = engine._withUnsafeGuaranteedRef { $0.unretainedSnapshot }
        snapshot._withUnsafeGuaranteedRef { queueOutputs($0, bridge: b, inPort: g, inSlot: inSlot, inLane: inLane) }
        decisions.removeAll()
    }

    /// Queues the outputs of the decided batch (frames of port `g`, slot `inSlot` of bridge `b`) in
    /// order; capture copies go out at once.
    @inline(__always)
    private func queueOutputs(_ snapshot: ForwardingSnapshot, bridge b: Int, inPort g: Int, inSlot: Int, inLane: CounterLane) {
        let slots = portIndex[b]  // this worker's own array
        let clock = decisions.clockNanos
        // Policies unretained (the snapshot keeps them): a retain per batch or per frame would write
        // the shared object's reference count, a line every thread using the port reads.
        let inPolicy = snapshot.policyRef(inSlot)
        let planIn = inPolicy?._withUnsafeGuaranteedRef { $0.hasIngressPlan } ?? false
        var replied = false
        for i in 0..<decisions.count {
            let frame = decisions.frame(i)
            let vnet = decisionVnet[i]
            let decision = decisions.decision(i)
            // The ingress rate and an impairment on frames from this port (--impair-direction in|both):
            // dropped, or held before they go on.
            var ingressPlan: EgressPlan? = nil
            if planIn, decision.isForwarded, let inPolicy {
                let plan = inPolicy._withUnsafeGuaranteedRef { $0.planIngress(length: frame.count, now: clock) }
                if let reason = plan.drop { inLane.dropped(reason); continue }
                if plan.releaseAt > clock || plan.copies > 1 { ingressPlan = plan }
            }
            var forwards = 0
            for o in decisions.outputs(i) {
                switch o.kind {
                case .forward:
                    forwards += 1
                    let target = Int(o.target)
                    // Ports with egress shaping or impairments (and frames held by an ingress plan) go
                    // through the thread's egress scheduler; the rest through the send queue.
                    if let plan = ingressPlan, config.bridges[b].ports[target].takesEgressPolicy {
                        let (kind, tci) = o.edit.shim
                        egress.transmit(config.bridges[b].ports[target], plan: plan, vnet: vnet, frame: frame, edit: kind, tci: tci,
                                        lengthDelta: o.edit.lengthDelta, now: clock)
                    } else if let ref = snapshot.policyRef(target), ref._withUnsafeGuaranteedRef({ $0.hasEgress }),
                              config.bridges[b].ports[target].takesEgressPolicy {
                        let policy = ref.takeUnretainedValue()
                        let (kind, tci) = o.edit.shim
                        egress.transmit(config.bridges[b].ports[target], policy: policy, vnet: vnet, frame: frame, edit: kind, tci: tci,
                                        lengthDelta: o.edit.lengthDelta, now: clock)
                    } else {
                        enqueue(slots[target], o.edit, vnet: vnet, frame: frame, remote: o.remote)
                    }
                case .mirror:
                    enqueue(slots[Int(o.target)], .none, vnet: vnet, frame: frame, remote: 0)
                case .captureIncoming, .captureOutgoing:
                    let (kind, tci) = o.edit.shim
                    capturesByBridge[b][Int(o.target)].deliver(frame, direction: o.kind == .captureIncoming ? .incoming : .outgoing,
                                                    edit: kind, tci: tci)
                case .control:
                    config.bridges[b].controlFrames?.push(port: ports[g].name, frame: frame)
                case .captureReply:
                    let (kind, tci) = o.edit.shim
                    capturesByBridge[b][Int(o.target)].deliver(UnsafeRawBufferPointer(decisions.reply(i)), direction: .outgoing, edit: kind, tci: tci)
                case .reply:
                    // The bridge's answer (ARP suppression), in the batch's reply buffer behind a zeroed
                    // virtio-net header: sent before the batch is decided again.
                    let reply = decisions.reply(i)
                    guard let base = reply.baseAddress else { continue }
                    let replyVnet = base - DatapathWorker.vnetLength
                    replyVnet.initializeMemory(as: UInt8.self, repeating: 0, count: DatapathWorker.vnetLength)
                    enqueue(slots[Int(o.target)], o.edit, vnet: replyVnet, frame: UnsafeRawBufferPointer(reply), remote: 0)
                    inLane.answeredARP()
                    replied = true
                }
            }
            switch decision.action {
            case .drop:
                inLane.dropped(decision.reason)
            case .flood where forwards == 0:
                inLane.dropped(.noOutput)
            default: break
            }
        }
        if replied { flush() }
    }

    @inline(__always)
    private func enqueue(_ g: Int, _ edit: EgressEdit, vnet: UnsafeMutableRawPointer, frame: UnsafeRawBufferPointer, remote: UInt32) {
        if pendingCount == DatapathWorker.pendingCapacity { flush() }
        let (kind, tci) = edit.shim
        let i = pendingCount
        pending[i] = tp_tx_slot(vnet: UnsafePointer(vnet.assumingMemoryBound(to: UInt8.self)),
                                frame: frame.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                len: UInt32(frame.count), edit: kind, tci: tci, pad: 0, remote: remote, result: 0)
        pendingPort[i] = Int32(g)
        pendingCount = i + 1
    }

    /// Sends what was queued: grouped by output port (a counting sort that keeps each port's order),
    /// one backend.send per port.
    private func flush() {
        let n = pendingCount
        guard n > 0 else { return }
        pendingCount = 0
        touched.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let p = Int(pendingPort[i])
            if portCount[p] == 0 { touched.append(Int32(p)) }
            portCount[p] += 1
        }
        var offset: Int32 = 0
        for p in touched {
            let c = portCount[Int(p)]
            portCount[Int(p)] = offset
            offset += c
        }
        for i in 0..<n {
            let p = Int(pendingPort[i])
            sorted[Int(portCount[p])] = pending[i]
            portCount[p] += 1
        }
        var start = 0
        for p in touched {
            let end = Int(portCount[Int(p)])
            portCount[Int(p)] = 0
            let port = ports[Int(p)]
            context.port = p
            port.backend.send(sorted + start, count: end - start, context: context, counters: port.lane)
            start = end
        }
    }
}

/// An error setting up the datapath.
public struct DatapathError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}
