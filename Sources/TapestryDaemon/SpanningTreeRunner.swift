import Datapath
import HostSystem
import SpanningTree
import SwitchCore
import TapestryModel

/// The spanning tree instances of the bridges that run STP, kept in step with the desired state
/// and the ports' links. Owned by the port reconciler and used under the bridges service's lock.
final class SpanningTreeRunner {
    final class Instance {
        let tree: SpanningTree
        let ports: [String]
        let queue: ControlFrameQueue
        var settings: STPBridgeSettings
        var portSettings: [STPPortSettings]
        init(tree: SpanningTree, ports: [String], queue: ControlFrameQueue, settings: STPBridgeSettings, portSettings: [STPPortSettings]) {
            self.tree = tree; self.ports = ports; self.queue = queue; self.settings = settings; self.portSettings = portSettings
        }
    }

    private(set) var instances: [String: Instance] = [:]
    /// Set when the daemon stops: the ticking thread ends.
    let stopped = LockedBox(false)
    /// The bridge address each bridge's tree uses (random, locally administered, for the daemon's lifetime).
    private var addresses: [String: [UInt8]] = [:]

    static func settings(_ c: BridgeSTPConfig) -> STPBridgeSettings {
        STPBridgeSettings(proto: c.mode == .stp ? .stp : .rstp, priority: UInt16(c.priority), hello: c.hello, maxAge: c.maxAge,
                          forwardDelay: c.forwardDelay)
    }

    /// `sharedMedium`: the port's link is half duplex, so `--stp-p2p auto` (the default) makes it not point-to-point.
    static func settings(_ p: PortConfig, sharedMedium: Bool = false) -> STPPortSettings {
        let c = p.stp ?? PortSTPConfig()
        let p2p: Bool = switch c.p2p { case .yes?: true; case .no?: false; default: !sharedMedium }
        return STPPortSettings(priority: UInt8(c.priority ?? 128), pathCost: UInt32(c.cost ?? 20000),
                               edge: c.edge ?? (p.type == .tap || p.type == .internal), bpduGuard: c.bpduGuard ?? false,
                               pointToPoint: p2p)
    }

    /// Creates, rebuilds (port set changed), updates or removes instances to match `state`; `linkUp` tells
    /// whether a port's link is up, `sharedMedium` whether it is half duplex (for `--stp-p2p auto`). `now` is in ms.
    func sync(_ state: DesiredState, linkUp: (String) -> Bool, sharedMedium: (String) -> Bool = { _ in false }, now: Int64) {
        var keep = Set<String>()
        for b in state.bridges {
            guard let c = b.stp else { continue }
            keep.insert(b.name)
            let names = b.ports.map(\.name)
            let bridgeSettings = SpanningTreeRunner.settings(c)
            let portSettings = b.ports.map { p in
                SpanningTreeRunner.settings(p, sharedMedium: (p.stp?.p2p ?? .auto) == .auto && sharedMedium(p.name))
            }
            if let inst = instances[b.name], inst.ports == names {
                if inst.settings != bridgeSettings { inst.tree.update(settings: bridgeSettings); inst.settings = bridgeSettings }
                for (i, s) in portSettings.enumerated() where inst.portSettings[i] != s { inst.tree.update(port: i, settings: s) }
                inst.portSettings = portSettings
            } else {
                let address = addresses[b.name] ?? SpanningTreeRunner.randomAddress()
                addresses[b.name] = address
                let tree = SpanningTree(address: address, settings: bridgeSettings, now: now)
                for (p, s) in zip(names, portSettings) { tree.addPort(p, settings: s, linkUp: linkUp(p)) }
                instances[b.name] = Instance(tree: tree, ports: names, queue: instances[b.name]?.queue ?? ControlFrameQueue(),
                                             settings: bridgeSettings, portSettings: portSettings)
            }
            if let inst = instances[b.name] {
                for (i, p) in names.enumerated() { inst.tree.setLink(port: i, up: linkUp(p)) }
            }
        }
        for name in instances.keys where !keep.contains(name) { instances[name] = nil }
    }

    /// The spanning tree's state of each port of `bridge` (empty when it runs no STP).
    func states(_ bridge: String) -> [String: PortForwardingState] {
        guard let inst = instances[bridge] else { return [:] }
        return inst.tree.states.mapValues { s -> PortForwardingState in
            switch s {
            case .forwarding: .forwarding
            case .learning: .learning
            case .discarding: .discarding
            }
        }
    }

    func queue(_ bridge: String) -> ControlFrameQueue? { instances[bridge]?.queue }

    /// The role and state of port `name` in its bridge's tree (nil when that bridge runs no STP).
    func roleAndState(of name: String) -> (String, String)? {
        for inst in instances.values {
            guard let i = inst.tree.index(of: name) else { continue }
            let p = inst.tree.ports[i]
            return (p.guardShut ? "bpdu-guard-shut" : p.role.rawValue, (p.isEnabled ? p.state : .discarding).rawValue)
        }
        return nil
    }

    private static func randomAddress() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var a = (0..<6).map { _ in UInt8.random(in: 0...255, using: &g) }
        a[0] = (a[0] & 0xFC) | 0x02
        return a
    }
}
