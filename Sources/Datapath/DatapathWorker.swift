// The fast path, in order (one dedicated thread; no allocation, logging or throwing per frame):
//
//   epoll wakeup → for each ready port: read up to `batchSize` frames into the preallocated pool
//   (taps: read(2) per frame; AF_PACKET: one recvmmsg; a tag the kernel moved to metadata is
//   put back into the bytes, in the headroom) into the FrameBatch → SwitchCore's decision
//   pipeline, `BridgeEngine.decide(batch)` (classify VLAN, learn source, look up destination,
//   list per frame its outputs: forwards with tag edit and tunnel remote, mirror and capture
//   copies) → walk each frame's outputs in order: a tag edit (push/pop/retag) done by writev
//   with the virtio-net header kept, so GSO super-frames cross the switch untouched; capture
//   copies to their sessions → counters; every drop counted on its port by reason. Nothing here
//   decides where a frame goes.
//
//   Between batches: a wake on the eventfd runs queued control commands (adopt a new
//   DatapathConfig, read or edit a MAC table). Once a second: MAC aging.

import CTapestryShims
#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import SwitchCore
import Synchronization
import TapestryModel
import VhostUser

/// State confined to the datapath thread. Only `Datapath` talks to it, through its mailbox.
final class DatapathWorker: @unchecked Sendable {
    static let batchSize = 32
    static let headroom = 64
    static let bufferSize = 65536 + 512
    static let vnetLength = Int(TP_VNET_HDR_LEN)
    static let wakeToken: UInt64 = .max

    let epfd: Int32
    let wakefd: Int32
    /// Commands from the control path (a pthread mutex, visible to ThreadSanitizer).
    let mailbox = LockedBox<[@Sendable (DatapathWorker) -> Void]>([])
    let running = Atomic<Bool>(true)
    /// How long to keep polling after traffic before sleeping in epoll (0: never poll).
    let spinMicros: UInt64

    private(set) var config = DatapathConfig.empty
    private(set) var engines: [String: BridgeEngine] = [:]
    private var bridgeEngines: [BridgeEngine] = []
    /// What each watched fd is: a port's own fd, or a VXLAN endpoint's receive socket.
    enum Source { case port(bridge: Int, slot: Int), tunnel(Int) }
    private var fdMap: [Int32: Source] = [:]
    /// Per tunnel: VNI → the vxlan port (bridge, slot) that carries it.
    private var tunnelRoutes: [[UInt32: (bridge: Int, slot: Int)]] = []
    private let encapsulator = VXLANEncapsulator()
    /// Frames held back by ports' egress shaping and impairments.
    private let egress = EgressScheduler(vnetLength: DatapathWorker.vnetLength)
    /// Live captures, and per bridge (by index) the sessions in the order of its engine's capture watches.
    private(set) var captures: [CaptureSession] = []
    private var capturesByBridge: [[CaptureSession]] = []
    /// The frames of the batch being switched, and where each frame's virtio-net header is.
    private let batch = FrameBatch(capacity: DatapathWorker.batchSize)
    private let batchVnet: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let udpSlots: UnsafeMutablePointer<tp_udp_slot>
    private let pool: UnsafeMutableRawPointer
    private let rxSlots: UnsafeMutablePointer<tp_rx_slot>
    private let events: UnsafeMutablePointer<UInt64>
    private var lastExpire: Int64 = 0
    /// The vhost-user ports of the config (bridge index, slot, port).
    private var vhostPorts: [(bridge: Int, slot: Int, port: VhostUserPort)] = []
    /// A vhost-user transmit queue still had frames after its batch, or is polled (no kick fd):
    /// the loop does not sleep.
    private var vhostBusy = false

    init(spinMicros: UInt64) throws {
        self.spinMicros = spinMicros
        epfd = tp_epoll_create()
        wakefd = tp_eventfd_create()
        guard epfd >= 0, wakefd >= 0 else { throw DatapathError("could not create epoll or eventfd") }
        guard tp_epoll_add(epfd, wakefd, DatapathWorker.wakeToken) == 0 else { throw DatapathError("could not watch eventfd") }
        pool = .allocate(byteCount: DatapathWorker.batchSize * DatapathWorker.bufferSize, alignment: 64)
        rxSlots = .allocate(capacity: DatapathWorker.batchSize)
        udpSlots = .allocate(capacity: DatapathWorker.batchSize)
        events = .allocate(capacity: 64)
        batchVnet = .allocate(capacity: DatapathWorker.batchSize)
        batchVnet.initialize(repeating: pool, count: DatapathWorker.batchSize)
    }

    deinit {
        pool.deallocate(); rxSlots.deallocate(); events.deallocate(); udpSlots.deallocate(); batchVnet.deallocate()
    }

    /// The thread body: runs until `running` is cleared and the eventfd is signalled.
    func run() {
        _ = tp_set_thread_name("tapestry-dp")
        var spinUntil: UInt64 = 0
        while running.load(ordering: .relaxed) {
            // Right after traffic, poll without sleeping for a short while: the answer to what was
            // just forwarded usually comes back within tens of microseconds, and waking a sleeping
            // thread (an IPI to an idle vCPU) costs about as much again.
            var n = 0
            if vhostBusy {
                n = Int(tp_epoll_wait(epfd, events, 64, 0))
            } else if spinMicros > 0 && tp_monotonic_us() < spinUntil {
                n = Int(tp_epoll_wait(epfd, events, 64, 0))
                if n == 0 && vhostPorts.isEmpty { continue }
            } else {
                n = Int(tp_epoll_wait(epfd, events, 64, egressWaitMillis()))
            }
            if !egress.isIdle { egress.releaseDue(now: Int64(tp_monotonic_us()) &* 1000) }
            if n > 0 && spinMicros > 0 { spinUntil = tp_monotonic_us() + spinMicros }
            let now = Int64(tp_monotonic_ms())
            // vhost-user transmit queues are polled (not just served on kicks) while they had frames
            // left after a batch (their kicks are then off), while spinning, and after a quiet second.
            let polling = vhostBusy || (spinMicros > 0 && !vhostPorts.isEmpty) || n == 0
            vhostBusy = false
            for i in 0..<max(n, 0) {
                let token = events[i]
                if token == DatapathWorker.wakeToken {
                    _ = tp_eventfd_drain(wakefd)
                    for v in vhostPorts { v.port.flush() }  // nothing unpublished when queues are replaced
                    runCommands()
                    break  // the rest of this wakeup may name fds that were just dropped
                }
                switch fdMap[Int32(truncatingIfNeeded: token)] {
                case .port(let b, let slot)?:
                    let bridge = config.bridges[b]
                    switch bridge.ports[slot].kind {
                    case .tap: receiveTap(b, slot: slot, now: now)
                    case .packet: receivePacket(b, slot: slot, now: now)
                    case .vxlan: break
                    case .vhostUser:
                        _ = tp_eventfd_drain(Int32(truncatingIfNeeded: token))
                        if !polling { receiveVhost(b, slot: slot, now: now) }
                    }
                case .tunnel(let t)?: receiveTunnel(t, now: now)
                case nil: continue
                }
            }
            if !vhostPorts.isEmpty {
                if polling { for v in vhostPorts { receiveVhost(v.bridge, slot: v.slot, now: now) } }
                for v in vhostPorts { v.port.flush() }
            }
            if now - lastExpire >= 1000 {
                lastExpire = now
                for e in bridgeEngines { e.expire(now: now) }
                if captures.contains(where: \.isClosed) { setCaptures(captures.filter { !$0.isClosed }) }
            }
        }
    }

    private func runCommands() {
        let commands = mailbox.update { box -> [@Sendable (DatapathWorker) -> Void] in
            let c = box
            box.removeAll(keepingCapacity: true)
            return c
        }
        for c in commands { c(self) }
    }

    /// How long epoll may sleep: a second, or until the next frame held by an egress policy is due.
    private func egressWaitMillis() -> Int32 {
        guard let due = egress.nextRelease else { return 1000 }
        let nowNanos = Int64(tp_monotonic_us()) &* 1000
        return Int32(clamping: max(0, min(1000, (due - nowNanos + 999_999) / 1_000_000)))
    }

    /// Milliseconds on the datapath's clock (for ages shown by fdb-show).
    var now: Int64 { Int64(tp_monotonic_ms()) }

    /// Switches to `next`: watches new fds, forgets removed ones, keeps MAC tables of bridges that stay.
    func adopt(_ next: DatapathConfig) {
        var newMap: [Int32: Source] = [:]
        var routes: [[UInt32: (bridge: Int, slot: Int)]] = Array(repeating: [:], count: next.tunnels.count)
        var newEngines: [String: BridgeEngine] = [:]
        var list: [BridgeEngine] = []
        for (b, bridge) in next.bridges.enumerated() {
            let name = bridge.forwarding.bridge
            let engine: BridgeEngine
            if let e = engines[name] { e.install(bridge.forwarding); engine = e } else {
                engine = BridgeEngine(snapshot: bridge.forwarding)
            }
            newEngines[name] = engine
            list.append(engine)
            for (s, p) in bridge.ports.enumerated() {
                switch p.kind {
                case .vxlan(let binding):
                    if let t = next.tunnels.firstIndex(where: { $0 === binding.tunnel }) { routes[t][binding.vni] = (b, s) }
                case .vhostUser:
                    break
                default:
                    newMap[p.fd] = .port(bridge: b, slot: s)
                }
            }
        }
        for (t, tunnel) in next.tunnels.enumerated() { newMap[tunnel.receiveFD] = .tunnel(t) }
        tunnelRoutes = routes
        engines = newEngines
        bridgeEngines = list
        config = next
        egress.keep(only: next.bridges.flatMap(\.ports))
        watch(newMap)
        setCaptures(captures)
    }

    /// Watches `base` plus the kick eventfds of every vhost-user transmit queue; forgets the rest.
    private func watch(_ base: [Int32: Source]) {
        var newMap = base
        var vhost: [(bridge: Int, slot: Int, port: VhostUserPort)] = []
        for (b, bridge) in config.bridges.enumerated() {
            for (s, p) in bridge.ports.enumerated() {
                guard case .vhostUser(let v) = p.kind else { continue }
                vhost.append((b, s, v))
                for q in v.queues?.transmit ?? [] {
                    if q.kickFD >= 0 { newMap[q.kickFD] = .port(bridge: b, slot: s) } else { vhostBusy = true }
                    q.enableKicks()
                }
            }
        }
        vhostPorts = vhost
        for fd in fdMap.keys where newMap[fd] == nil { _ = tp_epoll_del(epfd, fd) }
        for fd in newMap.keys where fdMap[fd] == nil { _ = tp_epoll_add(epfd, fd, UInt64(UInt32(bitPattern: fd))) }
        fdMap = newMap
    }

    /// Re-reads the vhost-user ports' kick fds (after their queues were replaced).
    func rewatchVhost() {
        watch(fdMap.filter { _, source in
            if case .port(let b, let s) = source, case .vhostUser = config.bridges[b].ports[s].kind { return false }
            return true
        })
    }

    /// Replaces the live captures and tells each bridge's pipeline what they watch.
    func setCaptures(_ list: [CaptureSession]) {
        captures = list
        capturesByBridge = config.bridges.enumerated().map { b, bridge in
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
            bridgeEngines[b].setCaptureWatches(watches)
            return sessions
        }
    }

    /// The ids of the captures of `bridge`, in the order of its pipeline's capture watches.
    func captureIDs(of bridge: String) -> [Int] {
        guard let b = config.bridges.firstIndex(where: { $0.forwarding.bridge == bridge }) else { return [] }
        return capturesByBridge[b].map(\.id)
    }

    // MARK: - receive

    @inline(__always)
    private func buffer(_ k: Int) -> UnsafeMutableRawPointer { pool + k * DatapathWorker.bufferSize }

    private func receiveTap(_ b: Int, slot: Int, now: Int64) {
        let port = config.bridges[b].ports[slot]
        let room = DatapathWorker.bufferSize - DatapathWorker.headroom
        batch.removeAll()
        for k in 0..<DatapathWorker.batchSize {
            let vnet = buffer(k) + DatapathWorker.headroom
            let n = tp_read(port.fd, vnet, room)
            if n <= 0 { break }
            admit(port, vnet: vnet, length: Int(n))
        }
        switchBatch(b, slot: slot, now: now)
    }

    private func receivePacket(_ b: Int, slot: Int, now: Int64) {
        let port = config.bridges[b].ports[slot]
        for k in 0..<DatapathWorker.batchSize {
            rxSlots[k].buf = buffer(k) + DatapathWorker.headroom
            rxSlots[k].cap = UInt32(DatapathWorker.bufferSize - DatapathWorker.headroom)
        }
        let got = Int(tp_packet_recv_batch(port.fd, rxSlots, Int32(DatapathWorker.batchSize)))
        batch.removeAll()
        for k in 0..<max(got, 0) {
            var vnet = buffer(k) + DatapathWorker.headroom
            var length = Int(rxSlots[k].len)
            if rxSlots[k].vlan_valid != 0 && length >= DatapathWorker.vnetLength + 12 {
                // The kernel took the 802.1Q tag off into metadata: put it back after the MACs.
                let moved = DatapathWorker.vnetLength + 12
                (vnet - 4).copyMemory(from: vnet, byteCount: moved)
                vnet -= 4
                let tag = vnet + moved
                let tpid = rxSlots[k].vlan_tpid, tci = rxSlots[k].vlan_tci
                tag.storeBytes(of: UInt8(tpid >> 8), as: UInt8.self)
                (tag + 1).storeBytes(of: UInt8(tpid & 0xFF), as: UInt8.self)
                (tag + 2).storeBytes(of: UInt8(tci >> 8), as: UInt8.self)
                (tag + 3).storeBytes(of: UInt8(tci & 0xFF), as: UInt8.self)
                VirtioNetHeader.shiftChecksumStart(vnet, by: 4)
                length += 4
            }
            admit(port, vnet: vnet, length: length)
        }
        switchBatch(b, slot: slot, now: now)
    }

    /// Takes up to a batch from each of the guest's transmit queues of a vhost-user port; returns
    /// the buffers to the guest; keeps the loop awake while frames remain.
    private func receiveVhost(_ b: Int, slot: Int, now: Int64) {
        let port = config.bridges[b].ports[slot]
        guard case .vhostUser(let v) = port.kind, let qs = v.queues else { return }
        let room = DatapathWorker.bufferSize - DatapathWorker.headroom
        for q in qs.transmit {
            batch.removeAll()
            var k = 0
            taking: while k < DatapathWorker.batchSize {
                let vnet = buffer(k) + DatapathWorker.headroom
                switch VirtioNetTransfer.receive(from: q, headerLength: qs.headerLength, into: vnet, capacity: room) {
                case .empty: break taking
                case .fault(let f): port.counters.dropped(VhostUserPort.reason(f))
                case .frame(let length):
                    v.sanitize(vnet, qs)
                    admit(port, vnet: vnet, length: length)
                }
                k += 1
            }
            switchBatch(b, slot: slot, now: now)
            q.publishAndSignal()
            if q.kickFD < 0 || q.pending() > 0 {
                vhostBusy = true
                q.disableKicks()
            } else {
                q.enableKicks()
                if q.pending() > 0 { vhostBusy = true }
            }
        }
    }

    private func receiveTunnel(_ t: Int, now: Int64) {
        let tunnel = config.tunnels[t]
        let h = VXLANEncapsulator.headerLength
        // The datagram lands so that the inner frame starts right after room for a vnet header.
        let offset = DatapathWorker.headroom + DatapathWorker.vnetLength - h
        for k in 0..<DatapathWorker.batchSize {
            udpSlots[k].buf = buffer(k) + offset
            udpSlots[k].cap = UInt32(DatapathWorker.bufferSize - offset)
        }
        let got = Int(tp_udp_recv_batch(tunnel.receiveFD, udpSlots, Int32(DatapathWorker.batchSize)))
        for k in 0..<max(got, 0) {
            let d = buffer(k) + offset
            let total = Int(udpSlots[k].len)
            let stride = udpSlots[k].gro_size > 0 ? Int(udpSlots[k].gro_size) : total
            let src = udpSlots[k].src_ip
            if stride < total {
                // Several datagrams of one flow in one read: one TCP super-frame when they merge exactly.
                let count = (total + stride - 1) / stride
                if let merged = TCPCoalescer.merge(d, count: count, stride: stride, lastLength: total - (count - 1) * stride, h: h) {
                    deliverTunnelFrame(t, tunnel, vni: merged.vni, src: src, frame: d + h, length: merged.length,
                                       vnetReady: true, now: now)
                    continue
                }
            }
            // One datagram at a time; the virtio-net header of each goes over the tail of the one before.
            var off = 0
            while off < total {
                let len = min(stride, total - off)
                let p = d + off
                off += len
                // RFC 7348: the I flag must be set; the other flag bits and reserved fields are ignored.
                guard len >= h, p.load(as: UInt8.self) & 0x08 != 0 else { tunnel.counters.dropped(.vxlanBadHeader); continue }
                let vni = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8
                deliverTunnelFrame(t, tunnel, vni: vni, src: src, frame: p + h, length: len - h, vnetReady: false, now: now)
            }
        }
    }

    /// Hands one decapsulated frame (with room for a virtio-net header before it) to its vxlan port.
    @inline(__always)
    private func deliverTunnelFrame(_ t: Int, _ tunnel: VXLANTunnel, vni: UInt32, src: UInt32, frame: UnsafeMutableRawPointer,
                                    length: Int, vnetReady: Bool, now: Int64) {
        guard let route = tunnelRoutes[t][vni] else { tunnel.counters.dropped(.vxlanUnknownVNI); return }
        let port = config.bridges[route.bridge].ports[route.slot]
        guard case .vxlan(let binding) = port.kind, binding.accepted.contains(src) else {
            port.counters.dropped(.vxlanUnknownRemote)
            return
        }
        let vnet = frame - DatapathWorker.vnetLength
        if !vnetReady {
            vnet.initializeMemory(as: UInt8.self, repeating: 0, count: DatapathWorker.vnetLength)
            PartialChecksum.markIfUnfinished(vnet: vnet, frame: frame, length: length)
        }
        // One frame at a time: the next datagram's virtio-net header may go over this frame's tail.
        batch.removeAll()
        admit(port, vnet: vnet, length: DatapathWorker.vnetLength + length, remote: src)
        switchBatch(route.bridge, slot: route.slot, now: now)
    }

    // MARK: - switch a batch

    /// Adds a received frame (virtio-net header at `vnet`) to the batch, or counts it as a runt.
    @inline(__always)
    private func admit(_ port: DatapathPort, vnet: UnsafeMutableRawPointer, length: Int, remote: UInt32 = 0) {
        guard length >= DatapathWorker.vnetLength else { port.counters.dropped(.runt); return }
        let frame = UnsafeRawBufferPointer(start: vnet + DatapathWorker.vnetLength, count: length - DatapathWorker.vnetLength)
        port.counters.received(bytes: frame.count)
        batchVnet[batch.count] = vnet
        batch.append(frame, remote: remote)
    }

    /// Has the pipeline decide the batch that came in on (`b`, `slot`), then carries out every
    /// frame's outputs in order.
    private func switchBatch(_ b: Int, slot: Int, now: Int64) {
        guard batch.count > 0 else { return }
        let bridge = config.bridges[b]
        let inPort = bridge.ports[slot]
        batch.clockNanos = Int64(tp_monotonic_us()) &* 1000
        let engine = bridgeEngines[b]
        engine.decide(batch, inSlot: slot, now: now)
        let sessions = capturesByBridge[b]
        let inPolicy = engine.snapshot.ports[slot].policy
        let planIn = inPolicy?.hasIngressPlan ?? false
        for i in 0..<batch.count {
            let frame = batch.frame(i)
            let vnet = batchVnet[i]
            let decision = batch.decision(i)
            // The ingress rate and an impairment on frames from this port (--impair-direction in|both):
            // dropped, or held before they go on.
            var ingressPlan: EgressPlan? = nil
            if planIn, decision.action != .drop, let inPolicy {
                let plan = inPolicy.planIngress(length: frame.count, now: batch.clockNanos)
                if let reason = plan.drop { inPort.counters.dropped(reason); continue }
                if plan.releaseAt > batch.clockNanos || plan.copies > 1 { ingressPlan = plan }
            }
            if decision.action == .drop {
                if decision.reason == .reservedGroup, let q = bridge.controlFrames, ControlFrameQueue.isSpanningTree(frame) {
                    q.push(port: inPort.name, frame: frame)  // to the spanning tree, not a drop
                } else {
                    inPort.counters.dropped(decision.reason)
                }
            }
            for o in batch.outputs(i) {
                switch o.kind {
                case .forward:
                    let target = Int(o.target)
                    if let plan = ingressPlan, bridge.ports[target].hasFD {
                        let (kind, tci) = DatapathWorker.shimEdit(o.edit)
                        egress.transmit(bridge.ports[target], plan: plan, vnet: vnet, frame: frame, edit: kind, tci: tci,
                                        lengthDelta: o.edit.lengthDelta, now: batch.clockNanos)
                    } else if let policy = engine.snapshot.ports[target].policy, policy.hasEgress, bridge.ports[target].hasFD {
                        let (kind, tci) = DatapathWorker.shimEdit(o.edit)
                        egress.transmit(bridge.ports[target], policy: policy, vnet: vnet, frame: frame, edit: kind, tci: tci,
                                        lengthDelta: o.edit.lengthDelta, now: batch.clockNanos)
                    } else {
                        transmit(bridge.ports[target], vnet: vnet, frame: frame, edit: o.edit, remote: o.remote)
                    }
                case .mirror:
                    transmit(bridge.ports[Int(o.target)], vnet: vnet, frame: frame, edit: .none, remote: 0)
                case .captureIncoming, .captureOutgoing:
                    let (kind, tci) = DatapathWorker.shimEdit(o.edit)
                    sessions[Int(o.target)].deliver(frame, direction: o.kind == .captureIncoming ? .incoming : .outgoing,
                                                    edit: kind, tci: tci)
                }
            }
        }
    }

    /// Writes one frame out of `port` with `edit`; counts it there.
    @inline(__always)
    private func transmit(_ port: DatapathPort, vnet: UnsafeMutableRawPointer, frame: UnsafeRawBufferPointer,
                          edit: EgressEdit, remote: UInt32) {
        if case .vxlan(let binding) = port.kind {
            encapsulator.send(binding, vnet: vnet, frame: frame, edit: edit, remote: remote, counters: port.counters)
            return
        }
        if case .vhostUser(let v) = port.kind {
            v.transmit(vnet: vnet, frame: frame, edit: edit, counters: port.counters)
            return
        }
        let (kind, tci) = DatapathWorker.shimEdit(edit)
        let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let r = tp_send_frame(port.fd, vnet.assumingMemoryBound(to: UInt8.self), base, frame.count, kind, tci)
        if r < 0 { port.counters.dropped(.txError) } else { port.counters.sent(bytes: frame.count + edit.lengthDelta) }
    }

    @inline(__always)
    static func shimEdit(_ edit: EgressEdit) -> (Int32, UInt16) {
        switch edit {
        case .none: (Int32(TP_EDIT_NONE), 0)
        case .push(let t): (Int32(TP_EDIT_PUSH), t)
        case .pop: (Int32(TP_EDIT_POP), 0)
        case .retag(let t): (Int32(TP_EDIT_RETAG), t)
        }
    }
}

/// An error setting up the datapath.
public struct DatapathError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}
