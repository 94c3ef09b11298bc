import TapestryModel

/// One object a plan creates, changes or deletes.
public enum ObjectRef: Hashable, Sendable, Codable {
    case namespace(String)
    case daemon(host: String)
    case underlayBridge
    case underlayLink(host: String)
    case forwarding(host: String)
    case nodeLink(node: String)
    case bridge(host: String, bridge: String)
    case port(host: String, bridge: String, port: String)
    case networkPort(host: String, network: String, port: String)
    case staticMAC(host: String, bridge: String, mac: String, vlan: Int)
    case network(host: String, network: String)
    case address(host: String, interface: String, address: String)
    case nodeConfig(node: String)

    /// The host the object is inside, if any.
    public var host: String? {
        switch self {
        case .daemon(let h), .underlayLink(let h), .forwarding(let h), .bridge(let h, _), .port(let h, _, _),
             .networkPort(let h, _, _), .staticMAC(let h, _, _, _), .network(let h, _), .address(let h, _, _):
            return h
        default: return nil
        }
    }

    /// Objects the daemon holds (reached through the control API), as opposed to lab plumbing.
    public var isDaemonObject: Bool {
        switch self {
        case .bridge, .port, .networkPort, .staticMAC, .network: return true
        default: return false
        }
    }

    /// Creation order; deletion runs in reverse.
    var rank: Int {
        switch self {
        case .namespace: return 0
        case .underlayBridge: return 1
        case .underlayLink: return 2
        case .daemon: return 3
        case .forwarding: return 4
        case .nodeLink: return 5
        case .bridge: return 6
        case .network: return 7
        case .port: return 8
        case .networkPort: return 9
        case .address: return 10
        case .staticMAC: return 11
        case .nodeConfig: return 12
        }
    }
}

/// A change with everything needed to make it (and to undo it).
public enum ChangeStep: Sendable, Equatable {
    case createNamespace(String)
    case deleteNamespace(String)
    case startDaemon(host: String)
    case stopDaemon(host: String)
    case createUnderlayBridge(namespace: String)
    case createUnderlayLink(LabUnderlay.Link, underlayNamespace: String)
    case setForwarding(host: String)
    case createNodeLink(node: String)
    case addBridge(host: String, BridgeConfig)
    case setBridge(host: String, old: BridgeConfig, new: BridgeConfig)
    case deleteBridge(host: String, BridgeConfig)
    case addPort(host: String, bridge: String, PortConfig)
    case addNetworkPort(host: String, network: String, PortConfig)
    case setPort(host: String, bridge: String, old: PortConfig, new: PortConfig)
    case deletePort(host: String, bridge: String, PortConfig)
    case addStaticMAC(host: String, bridge: String, StaticMAC)
    case deleteStaticMAC(host: String, bridge: String, StaticMAC)
    case createNetwork(host: String, name: String, xml: String, autostart: Bool)
    /// A running network brought to a changed definition live (`net-define --live`).
    case changeNetwork(host: String, old: ObservedNetwork, xml: String)
    case deleteNetwork(host: String, ObservedNetwork)
    case setAutostart(host: String, network: String, Bool)
    case addAddress(host: String, InterfaceAddress)
    case deleteAddress(host: String, InterfaceAddress)
    case configureNode(node: String)
}

/// One line of a plan: `+ host a: bridge br0 (learning)`.
public struct PlannedChange: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable {
        case create = "+", modify = "~", delete = "-"
    }

    public var action: Action
    public var object: ObjectRef
    /// What the object is, for people: `bridge br0 (learning)`, `port vm1 (tap, VLAN 10)`.
    public var summary: String
    public var step: ChangeStep

    public init(_ action: Action, _ object: ObjectRef, _ summary: String, _ step: ChangeStep) {
        self.action = action; self.object = object; self.summary = summary; self.step = step
    }

    public var description: String {
        if let h = object.host { return "\(action.rawValue) host \(h): \(summary)" }
        return "\(action.rawValue) \(summary)"
    }
}
