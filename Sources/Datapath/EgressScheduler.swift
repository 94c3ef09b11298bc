import CTapestryShims
import SwitchCore

/// Carries out a port's egress policy (shaping, delay, jitter, loss, duplication, rate) for one
/// datapath thread: asks the port's `PortPolicyState` when each frame may leave, sends at once
/// what may, and holds the rest in the port's `DelayLine` until the thread's loop releases it.
/// Ports without egress policy never come here.
final class EgressScheduler {
    private struct Held { let port: DatapathPort; let line: DelayLine }
    private var held: [ObjectIdentifier: Held] = [:]
    private let vnetLength: Int
    /// The owning thread's send scratch (its queue index picks counter lanes and device queues).
    private let context: TransmitContext
    /// Byte budget of one port's line: the shaper's queue limit is the real bound; this is the ceiling.
    static let lineBytes = 8 << 20

    init(vnetLength: Int, context: TransmitContext) { self.vnetLength = vnetLength; self.context = context }

    /// Whether frames are waiting (the loop then wakes for `nextRelease`).
    var isIdle: Bool { held.isEmpty || held.values.allSatisfy { $0.line.isEmpty } }

    /// The earliest time a held frame is due (monotonic ns), nil when none is held.
    var nextRelease: Int64? { held.values.compactMap { $0.line.nextRelease }.min() }

    /// Sends `frame` (with its virtio-net header and tag edit) out of `port` as the policy says:
    /// at once, later, twice, or not at all (counted).
    func transmit(_ port: DatapathPort, policy: PortPolicyState, vnet: UnsafeMutableRawPointer, frame: UnsafeRawBufferPointer,
                  edit: Int32, tci: UInt16, lengthDelta: Int, now: Int64) {
        transmit(port, plan: policy.planEgress(length: frame.count + lengthDelta, now: now), vnet: vnet, frame: frame,
                 edit: edit, tci: tci, lengthDelta: lengthDelta, now: now)
    }

    /// Sends `frame` out of `port` as `plan` says (an egress plan, or the ingress port's impairment).
    func transmit(_ port: DatapathPort, plan: EgressPlan, vnet: UnsafeMutableRawPointer, frame: UnsafeRawBufferPointer,
                  edit: Int32, tci: UInt16, lengthDelta: Int, now: Int64) {
        if let reason = plan.drop { port.counters.lane(context.queue).dropped(reason); return }
        if plan.releaseAt <= now && (held[ObjectIdentifier(port)]?.line.isEmpty ?? true) {
            for _ in 0..<plan.copies { send(port, vnet: UnsafeRawPointer(vnet), frame: frame, edit: edit, tci: tci, lengthDelta: lengthDelta) }
            return
        }
        let line = self.line(for: port)
        let tag = UInt32(UInt16(truncatingIfNeeded: edit)) << 16 | UInt32(tci)
        for _ in 0..<plan.copies {
            let ok = line.enqueue(prefix: UnsafeRawBufferPointer(start: vnet, count: vnetLength), frame, releaseAt: plan.releaseAt, tag: tag)
            if !ok { port.counters.lane(context.queue).dropped(.shaperQueueFull) }
        }
    }

    /// Sends every held frame that is due at `now`.
    func releaseDue(now: Int64) {
        for h in held.values where !(h.line.isEmpty) {
            h.line.releaseDue(now: now) { bytes, tag in
                guard let base = bytes.baseAddress, bytes.count > vnetLength else { return }
                let edit = Int32(tag >> 16), tci = UInt16(truncatingIfNeeded: tag)
                let delta = edit == Int32(TP_EDIT_PUSH) ? 4 : edit == Int32(TP_EDIT_POP) ? -4 : 0
                send(h.port, vnet: base, frame: UnsafeRawBufferPointer(start: base + vnetLength, count: bytes.count - vnetLength),
                     edit: edit, tci: tci, lengthDelta: delta)
            }
        }
    }

    /// Drops the lines of ports that are gone (after a new configuration).
    func keep(only ports: [DatapathPort]) {
        let live = Set(ports.map(ObjectIdentifier.init))
        for (id, h) in held where !live.contains(id) {
            h.line.removeAll()
            held[id] = nil
        }
    }

    private func line(for port: DatapathPort) -> DelayLine {
        if let h = held[ObjectIdentifier(port)] { return h.line }
        let line = DelayLine(byteCapacity: EgressScheduler.lineBytes)
        held[ObjectIdentifier(port)] = Held(port: port, line: line)
        return line
    }

    @inline(__always)
    private func send(_ port: DatapathPort, vnet: UnsafeRawPointer, frame: UnsafeRawBufferPointer, edit: Int32, tci: UInt16,
                      lengthDelta: Int) {
        var slot = tp_tx_slot(vnet: vnet.assumingMemoryBound(to: UInt8.self), frame: frame.baseAddress?.assumingMemoryBound(to: UInt8.self),
                              len: UInt32(frame.count), edit: edit, tci: tci, pad: 0, remote: 0, result: 0)
        withUnsafeMutablePointer(to: &slot) { s in
            port.backend.send(s, count: 1, context: context, counters: port.counters.lane(context.queue))
        }
    }
}
