import NetworkController
import TapestryModel

/// A topology file as written, every object with where it is. Produced by `TopologyParser`
/// (which checks each value on its own) and checked as a whole by `TopologyValidator`.
public struct TopologyFile: Sendable {
    public static let formatVersion = 1

    public var path: String
    /// The lab's name: a prefix of the namespaces `apply` creates and the name of its state directory.
    public var name: String
    public var hosts: [HostSpec] = []
    /// Whether the file declares no hosts (then one implicit host, `local`: the daemon at --socket).
    public var implicitHost: Bool = false
    public var bridges: [BridgeSpec] = []
    public var networks: [NetworkSpec] = []
    public var segments: [SegmentSpec] = []
    public var nodes: [NodeSpec] = []

    public init(path: String, name: String) { self.path = path; self.name = name }

    public func host(named name: String) -> HostSpec? { hosts.first { $0.name == name } }
}

/// How `apply` reaches a host's tapestryd.
public enum HostAccess: Hashable, Sendable {
    /// A lab host: `apply` creates the namespace and starts a tapestryd in it.
    case lab(namespace: String)
    /// An existing daemon at this control socket (nil: `--socket`, `$TAPESTRY_SOCKET` or the default).
    case socket(String?)

    public var isLab: Bool { if case .lab = self { return true } else { return false } }
}

public struct HostSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    public var access: HostAccess
    /// The address tunnels use; for a lab host, with the prefix of the lab underlay (`10.0.0.1/24`,
    /// `fd00:77::1/64`). IPv4 or IPv6; the hosts of a segment use one family.
    public var underlay: IPNetwork?
    public var underlayPosition: SourcePosition?
    /// Turn on IPv4 forwarding in a lab host's namespace (routing between internal ports).
    public var forwarding: Bool = false

    public init(name: String, position: SourcePosition, access: HostAccess, underlay: IPNetwork? = nil, forwarding: Bool = false) {
        self.name = name; self.position = position; self.access = access; self.underlay = underlay; self.forwarding = forwarding
    }
}

public struct PortSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    /// Which host the port is on, for bridges on several hosts.
    public var host: String?
    public var hostPosition: SourcePosition?
    public var config: PortConfig
    /// An address for an internal port, set in the host's namespace (lab hosts).
    public var address: IPv4CIDR?
    public var addressPosition: SourcePosition?
    public var netnsPosition: SourcePosition?
    public var peerPosition: SourcePosition?
}

public struct StaticMACSpec: Sendable {
    public var position: SourcePosition
    public var host: String?
    public var entry: StaticMAC
    public var portPosition: SourcePosition
}

public struct BridgeSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    /// The hosts that have this bridge (nil: every host).
    public var hosts: [String]?
    public var hostsPosition: SourcePosition?
    public var mode: BridgeMode = .learning
    public var macAging: Int = BridgeConfig.defaultMACAging
    public var macTableSize: Int = BridgeConfig.defaultMACTableSize
    /// `stp: rstp|stp|off` and `stp-priority: N`.
    public var stp: BridgeSTPConfig?
    public var ports: [PortSpec] = []
    public var staticMACs: [StaticMACSpec] = []
}

public struct NetworkSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    public var host: String?
    public var hostPosition: SourcePosition?
    /// The libvirt definition (from inline settings, inline XML or the referenced file), not yet defaulted.
    public var definition: NetworkDefinition
    /// The referenced XML file, when the definition came from one.
    public var file: String?
    public var autostart: Bool = false
    /// Ports added to the network's bridge (`add-port --network`).
    public var ports: [PortSpec] = []
    /// Positions of the settings subnets and bridge names come from (the XML reference when from a file).
    public var addressPosition: SourcePosition
    public var bridgePosition: SourcePosition
}

public struct SegmentSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    public var bridge: String
    public var bridgePosition: SourcePosition
    /// The VXLAN network identifier; chosen from the name when not given.
    public var vni: Int?
    public var vniPosition: SourcePosition?
    /// Carry only this VLAN (the tunnel port is its access port); nil: every VLAN, tagged as on a trunk.
    public var vlan: VLANID?
    /// The hosts the segment spans (nil: every host of the bridge).
    public var hosts: [String]?
    public var hostsPosition: SourcePosition?
    /// UDP port of the tunnels.
    public var dstPort: Int = VXLANConfig.defaultPort
}

/// How a node's address is set.
public enum NodeAddress: Hashable, Sendable {
    case staticAddress(IPv4CIDR)
    /// A DHCP client run once in the node (udhcpc), as a VM would.
    case dhcp
}

/// A node's link when it is not on a bridge port: a veth pair to its host's namespace.
public struct NodeLinkSpec: Hashable, Sendable {
    /// The link's name in the host's namespace (a `system` port may attach it).
    public var hostName: String
    /// The host side's address.
    public var hostAddress: IPv4CIDR?
}

/// A namespace that stands for a VM or container.
public struct NodeSpec: Sendable {
    public var name: String
    public var position: SourcePosition
    public var host: String?
    public var hostPosition: SourcePosition?
    /// The namespace name (default `<lab>-<node>`).
    public var namespace: String?
    /// The tap port (on a bridge or network of the node's host) whose netdev goes into this node.
    public var port: String?
    public var portPosition: SourcePosition?
    public var link: NodeLinkSpec?
    public var linkPosition: SourcePosition?
    /// The interface name inside the node (default: the port's name, or eth0 for a link).
    public var interface: String?
    public var address: NodeAddress?
    public var addressPosition: SourcePosition?
    /// The default route's next hop.
    public var gateway: IPv4Address?
    public var gatewayPosition: SourcePosition?
}
