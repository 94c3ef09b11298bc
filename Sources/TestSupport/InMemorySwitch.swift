import SwitchCore
import TapestryModel

/// A bridge with in-memory ports: tests inject a frame on a port and read exactly what came out
/// of which port (with the egress tag edits applied), and which drops were counted.
public final class InMemorySwitch {
    public let engine: BridgeEngine
    public private(set) var config: BridgeConfig
    private var ids: [String: UInt32] = [:]
    /// Drops counted per ingress port name and reason.
    public private(set) var drops: [String: [DropReason: Int]] = [:]
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

    /// Sends `frame` in on port `name`; returns each output port with the bytes it would send.
    @discardableResult
    public func inject(_ frame: [UInt8], on name: String) -> [(port: String, frame: [UInt8])] {
        guard let id = ids[name] else { preconditionFailure("test names unknown port \(name)") }
        let inSlot = engine.snapshot.slot(of: id)
        let decision = frame.withUnsafeBytes { engine.decide($0, inSlot: inSlot, now: now) }
        var out: [(port: String, frame: [UInt8])] = []
        switch decision.action {
        case .drop:
            drops[name, default: [:]][decision.reason, default: 0] += 1
        case .unicast:
            out.append((engine.snapshot.ports[decision.outSlot].name,
                        engine.edit(for: decision, to: decision.outSlot).apply(to: frame)))
        case .flood:
            for slot in engine.snapshot.ports.indices where engine.floods(decision, to: slot, from: inSlot) {
                out.append((engine.snapshot.ports[slot].name, engine.edit(for: decision, to: slot).apply(to: frame)))
            }
        }
        return out
    }

    /// The names of the ports a frame reached.
    public func destinations(_ frame: [UInt8], on name: String) -> [String] { inject(frame, on: name).map(\.port) }

    public func dropCount(_ port: String, _ reason: DropReason) -> Int { drops[port]?[reason] ?? 0 }
}
