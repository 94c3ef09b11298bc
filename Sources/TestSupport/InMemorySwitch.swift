import SwitchCore
import TapestryModel

/// A bridge with in-memory ports, driven by the same decision pipeline as the datapath
/// (`BridgeEngine.decide` over a `FrameBatch`): tests inject frames on a port and read exactly
/// what came out of which port (tag edits applied, mirror copies included), which captures got
/// which copy, and which drops were counted.
public final class InMemorySwitch {
    /// One thing that left the switch for a frame.
    public struct Delivery: Equatable, Sendable {
        public var kind: FrameOutput.Kind
        /// The port it left by (forwards and mirror copies), the capture's name (captures), or the
        /// port it came in by (a frame for the control plane).
        public var port: String
        /// The bytes as they leave (as captured, for a capture copy).
        public var frame: [UInt8]
        /// For a forward out of a tunnel port: the remote VTEP it goes to (0: every remote).
        public var remote: UInt32
    }

    public let engine: BridgeEngine
    public private(set) var config: BridgeConfig
    private var ids: [String: UInt32] = [:]
    private let batch = FrameBatch(capacity: 32)
    private var captureNames: [String] = []
    private var captureSpecs: [(port: String?, watch: CaptureWatch)] = []
    /// Drops counted per ingress port name and reason.
    public private(set) var drops: [String: [DropReason: Int]] = [:]
    /// Copies delivered to each capture (by name), in order.
    public private(set) var captured: [String: [(incoming: Bool, frame: [UInt8])]] = [:]
    /// The decision of the last frame injected.
    public private(set) var lastDecision: ForwardingDecision?
    /// The clock in milliseconds; tests move it forward.
    public var now: Int64 = 0

    public init(_ config: BridgeConfig) {
        self.config = config
        for (i, p) in config.ports.enumerated() { ids[p.name] = UInt32(i) }
        engine = BridgeEngine(snapshot: ForwardingSnapshot(config: config, portIDs: ids))
    }

    /// Replaces the bridge configuration (new ports get new ids) as the daemon would.
    public func reconfigure(_ next: BridgeConfig) {
        for p in next.ports where ids[p.name] == nil { ids[p.name] = UInt32((ids.values.max() ?? 0) + 1) }
        config = next
        engine.install(ForwardingSnapshot(config: next, portIDs: ids))
    }

    /// Publishes link / spanning-tree states of ports (those not listed forward), as the daemon would.
    public func setStates(_ states: [String: PortForwardingState]) {
        engine.install(ForwardingSnapshot(config: config, portIDs: ids, states: states))
    }

    public func portID(_ name: String) -> UInt32? { ids[name] }

    /// Starts a capture called `name` of port `port` (nil: of VLAN `vlan` on every port).
    public func startCapture(_ name: String, port: String?, vlan: UInt16 = 0, incoming: Bool = true, outgoing: Bool = true) {
        let id = port.map { p -> UInt32 in
            guard let id = ids[p] else { preconditionFailure("test names unknown port \(p)") }
            return id
        }
        captureNames.append(name)
        captureSpecs.append((port, CaptureWatch(port: id, vlan: vlan, incoming: incoming, outgoing: outgoing && port != nil)))
        engine.setCaptureWatches(captureSpecs.map(\.watch))
    }

    /// Sends `frame` in on port `name` (from tunnel remote `remote`); returns each port with the
    /// bytes it sends (forwards, mirror copies and replies the bridge generated).
    @discardableResult
    public func inject(_ frame: [UInt8], on name: String, remote: UInt32 = 0) -> [(port: String, frame: [UInt8])] {
        deliveries(frame, on: name, remote: remote).filter { $0.kind == .forward || $0.kind == .mirror || $0.kind == .reply }
            .map { ($0.port, $0.frame) }
    }

    /// Sends `frame` in on port `name`; returns everything that left, in the pipeline's order.
    public func deliveries(_ frame: [UInt8], on name: String, remote: UInt32 = 0) -> [Delivery] {
        injectBatch([frame], on: name, remote: remote)[0]
    }

    /// Sends `frames` in on port `name` as one batch (at most 32); returns per frame what left.
    public func injectBatch(_ frames: [[UInt8]], on name: String, remote: UInt32 = 0) -> [[Delivery]] {
        guard let id = ids[name] else { preconditionFailure("test names unknown port \(name)") }
        precondition(frames.count <= batch.capacity, "at most \(batch.capacity) frames a batch")
        let inSlot = engine.snapshot.slot(of: id)
        precondition(inSlot >= 0, "port \(name) is not on the bridge")
        // The frames' bytes must stay put until the outputs are read: one contiguous copy.
        let total = frames.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        defer { storage.deallocate() }
        batch.removeAll()
        var at = 0
        for f in frames {
            let dst = UnsafeMutableRawBufferPointer(rebasing: storage[at..<at + f.count])
            f.withUnsafeBytes { dst.copyMemory(from: $0) }
            batch.append(UnsafeRawBufferPointer(dst), remote: remote)
            at += f.count
        }
        engine.decide(batch, inSlot: inSlot, now: now)
        let ports = engine.snapshot.ports
        var result: [[Delivery]] = []
        for (i, frame) in frames.enumerated() {
            let d = batch.decision(i)
            lastDecision = d
            if d.action == .drop { drops[name, default: [:]][d.reason, default: 0] += 1 }
            var out: [Delivery] = []
            for o in batch.outputs(i) {
                let bytes = o.edit.apply(to: frame)
                switch o.kind {
                case .forward, .mirror, .control:
                    out.append(Delivery(kind: o.kind, port: ports[Int(o.target)].name, frame: bytes, remote: o.remote))
                case .reply:
                    let reply = Array(UnsafeRawBufferPointer(batch.reply(i)))
                    out.append(Delivery(kind: o.kind, port: ports[Int(o.target)].name, frame: o.edit.apply(to: reply), remote: 0))
                case .captureReply:
                    let capture = captureNames[Int(o.target)]
                    let reply = o.edit.apply(to: Array(UnsafeRawBufferPointer(batch.reply(i))))
                    captured[capture, default: []].append((false, reply))
                    out.append(Delivery(kind: o.kind, port: capture, frame: reply, remote: 0))
                case .captureIncoming, .captureOutgoing:
                    let capture = captureNames[Int(o.target)]
                    captured[capture, default: []].append((o.kind == .captureIncoming, bytes))
                    out.append(Delivery(kind: o.kind, port: capture, frame: bytes, remote: 0))
                }
            }
            result.append(out)
        }
        return result
    }

    /// The names of the ports a frame reached.
    public func destinations(_ frame: [UInt8], on name: String) -> [String] { inject(frame, on: name).map(\.port) }

    public func dropCount(_ port: String, _ reason: DropReason) -> Int { drops[port]?[reason] ?? 0 }
}
