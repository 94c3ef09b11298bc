/// How a port attaches to the host.
public enum PortType: String, Codable, Sendable, CaseIterable {
    /// A tap device created by the daemon; its netdev may be moved into a network namespace.
    case tap
    /// A tap device created by the daemon whose netdev stays in the daemon's namespace (a host L3 port).
    case `internal`
    /// An existing netdev attached through an AF_PACKET socket (never created or deleted by Tapestry).
    case system
    /// A VXLAN tunnel (RFC 7348 over UDP) to one or more remotes; no netdev.
    case vxlan
    /// One end of a patch pair joining two bridges inside the datapath (as Open vSwitch's patch
    /// ports); its `peer` is the other end, a patch port on another bridge. No netdev.
    case patch
    /// A vhost-user port: the daemon listens on a Unix socket and a VM's virtio-net (QEMU, DPDK)
    /// connects; frames move through the guest's rings in shared memory. No netdev.
    case vhostUser = "vhost-user"
    /// A vhost-user port where the VM's side listens and the daemon connects (and reconnects).
    case vhostUserClient = "vhost-user-client"
    /// A bond: one port over several system netdevs (its `bond` members), with LACP or without.
    case bond

    /// Whether the port is a vhost-user port (either side listening).
    public var isVhostUser: Bool { self == .vhostUser || self == .vhostUserClient }

    /// Whether the port has a netdev whose link the daemon watches (not vxlan, patch or vhost-user ports).
    public var hasNetdev: Bool { self != .vxlan && self != .patch && !isVhostUser && self != .bond }
}

/// The tunnel settings of a vxlan port.
public struct VXLANConfig: Codable, Sendable, Equatable {
    /// The standard VXLAN UDP port.
    public static let defaultPort = 4789
    public static let vniRange = 0...0xFF_FFFF

    public var vni: Int
    /// Remotes (IPv4 or IPv6, all of one family); broadcast, multicast and unknown unicast are replicated to each.
    public var remotes: [IPAddress]
    /// The local underlay address to send from and listen on (nil: any address of the remotes' family).
    public var local: IPAddress?
    /// UDP destination (and listening) port.
    public var dstPort: Int

    public init(vni: Int, remotes: [IPAddress], local: IPAddress? = nil, dstPort: Int = VXLANConfig.defaultPort) {
        self.vni = vni; self.remotes = remotes; self.local = local; self.dstPort = dstPort
    }

    /// The underlay's address family: the local address's, else the first remote's (IPv4 when there is neither).
    public var underlayFamily: IPAddress.Family { local?.family ?? remotes.first?.family ?? .ipv4 }

    public func validate(port: String) throws(ModelError) {
        guard VXLANConfig.vniRange.contains(vni) else { throw ModelError("port \(port): VNI \(vni) out of range 0-16777215") }
        guard (1...65535).contains(dstPort) else { throw ModelError("port \(port): UDP port \(dstPort) out of range 1-65535") }
        guard !remotes.isEmpty else { throw ModelError("port \(port): a vxlan port needs at least one --remote") }
        for r in remotes where r.isUnspecified || r.isThisNetwork || r.isMulticast || r.isBroadcast {
            throw ModelError("port \(port): remote \(r) must be a unicast address")
        }
        guard Set(remotes).count == remotes.count else { throw ModelError("port \(port): duplicate remote") }
        if let local, local.isMulticast || local.isBroadcast { throw ModelError("port \(port): local \(local) must be a unicast address") }
        let family = underlayFamily
        for r in remotes where r.family != family {
            let other = local.map { "local \($0)" } ?? "remote \(remotes[0])"
            throw ModelError("port \(port): remote \(r) is \(r.family == .ipv6 ? "IPv6" : "IPv4") but \(other) is "
                + "\(family == .ipv6 ? "IPv6" : "IPv4"): a vxlan port's underlay is one address family")
        }
    }
}

/// Whether a trunk's native VLAN travels untagged or tagged on the wire.
public enum NativeMode: String, Codable, Sendable {
    case untagged, tagged
}

/// The 802.1Q role of a port: an access port of one VLAN, or a trunk.
public enum VLANMode: Sendable, Equatable {
    /// Untagged on the wire, member of one VLAN; tagged frames arriving here are dropped.
    case access(VLANID)
    /// Tagged frames of the allowed VLANs; untagged frames belong to the native VLAN if any.
    case trunk(allowed: VLANSet, native: VLANID?, nativeMode: NativeMode)

    /// A port with no VLAN settings: a trunk of every VLAN whose untagged frames are VLAN 1.
    public static let `default` = VLANMode.trunk(allowed: .all, native: VLANID(1), nativeMode: .untagged)
}

/// One port of a bridge as the user wants it.
public struct PortConfig: Codable, Sendable, Equatable {
    public var name: String
    public var type: PortType
    /// Access VLAN (exclusive with `trunk`).
    public var vlan: VLANID?
    /// Allowed VLANs of a trunk; nil with no `vlan` means every VLAN.
    public var trunk: VLANSet?
    /// The native VLAN of a trunk.
    public var native: VLANID?
    public var nativeMode: NativeMode?
    public var isolated: Bool
    /// For tap ports: the named network namespace (`ip netns`) the netdev is moved into.
    public var netns: String?
    public var mtu: Int?
    public var mac: MACAddress?
    /// For vxlan ports: the tunnel.
    public var vxlan: VXLANConfig?
    /// The most MAC addresses the bridge learns on this port (`--max-macs`); nil: only the table's cap.
    public var maxMACs: Int?
    /// Spanning tree settings of the port (used when its bridge runs STP).
    public var stp: PortSTPConfig?
    /// Rate limits, port security, storm control and impairments (nil: none).
    public var policy: PortPolicy?
    /// For patch ports: the port at the other end (`--peer`).
    public var peer: String?
    /// For vhost-user ports: the Unix socket (absolute path). A vhost-user (server) port defaults to
    /// `<run-dir>/vhost-user/<name>.sock`; a vhost-user-client port must name the VM's socket.
    public var socketPath: String?
    /// Free-form key/value pairs about the port (Open vSwitch's Interface `external_ids`): libvirt
    /// stores `attached-mac`, `iface-id`, `vm-id` (the domain's UUID) and `iface-status` here.
    public var externalIDs: [String: String]?
    /// For bond ports: the members and how they are used.
    public var bond: BondConfig?
    /// Further Open vSwitch columns kept for the ovs-vsctl front end (QoS, ingress policing).
    public var ovs: OVSColumns?

    public init(name: String, type: PortType, vlan: VLANID? = nil, trunk: VLANSet? = nil, native: VLANID? = nil,
                nativeMode: NativeMode? = nil, isolated: Bool = false, netns: String? = nil, mtu: Int? = nil,
                mac: MACAddress? = nil, vxlan: VXLANConfig? = nil, peer: String? = nil) {
        self.name = name; self.type = type; self.vlan = vlan; self.trunk = trunk; self.native = native
        self.nativeMode = nativeMode; self.isolated = isolated; self.netns = netns; self.mtu = mtu; self.mac = mac
        self.vxlan = vxlan; self.peer = peer
    }

    /// The effective 802.1Q role.
    public var vlanMode: VLANMode {
        if let vlan { return .access(vlan) }
        if trunk == nil && native == nil && nativeMode == nil { return .default }
        return .trunk(allowed: trunk ?? .all, native: native, nativeMode: nativeMode ?? .untagged)
    }

    /// A short text of the VLAN role for tables: `access 10`, `trunk 10,20 native 1`.
    public var vlanSummary: String {
        switch vlanMode {
        case .access(let v): return "access \(v)"
        case .trunk(let allowed, let native, let mode):
            var s = "trunk \(allowed.isAll ? "all" : allowed.description)"
            if let native { s += " native \(native)\(mode == .tagged ? " tagged" : "")" }
            return s
        }
    }

    /// Checks the port on its own: name rules, VLAN combinations, MTU and MAC ranges, netns only for taps.
    public func validate() throws(ModelError) {
        try InterfaceName.validate(name, what: "port name")
        if vlan != nil && (trunk != nil || native != nil || nativeMode != nil) {
            throw ModelError("port \(name): --vlan (access) cannot be combined with --trunk, --native or --native-mode")
        }
        if let trunk, trunk.isEmpty { throw ModelError("port \(name): trunk VLAN list is empty") }
        if let netns {
            guard type == .tap else { throw ModelError("port \(name): --netns applies to tap ports only") }
            try InterfaceName.validateNamespace(netns)
        }
        if let mtu, !(68...65521).contains(mtu) { throw ModelError("port \(name): MTU \(mtu) out of range 68-65521") }
        if let mac {
            guard type != .system else { throw ModelError("port \(name): --mac does not apply to system ports") }
            guard mac.isValidSource else { throw ModelError("port \(name): MAC \(mac) must be a unicast address") }
        }
        try stp?.validate(port: name)
        if let maxMACs, !(1...1_000_000).contains(maxMACs) {
            throw ModelError("port \(name): --max-macs \(maxMACs) out of range 1-1000000")
        }
        if type == .patch {
            guard let peer else { throw ModelError("port \(name): a patch port needs --peer") }
            try InterfaceName.validate(peer, what: "peer name")
            guard peer != name else { throw ModelError("port \(name): a patch port cannot be its own peer") }
            guard mac == nil else { throw ModelError("port \(name): --mac does not apply to patch ports") }
        } else if peer != nil {
            throw ModelError("port \(name): --peer applies to patch ports only")
        }
        if let externalIDs { try OVSColumns.validateMap(externalIDs, what: "port \(name): external_ids") }
        if let ovs { try ovs.validate(port: name) }
        if (type == .system || type == .vxlan || type == .patch) && mtu != nil {
            throw ModelError("port \(name): --mtu does not apply to \(type.rawValue) ports")
        }
        try policy?.validate(port: name)
        if type.isVhostUser {
            guard mtu == nil, mac == nil else { throw ModelError("port \(name): --mtu and --mac do not apply to \(type.rawValue) ports") }
            if type == .vhostUserClient && socketPath == nil {
                throw ModelError("port \(name): a vhost-user-client port needs --socket-path")
            }
            if let socketPath {
                guard socketPath.hasPrefix("/") else { throw ModelError("port \(name): socket path \(socketPath) must be absolute") }
                guard socketPath.utf8.count < 108 else { throw ModelError("port \(name): socket path is longer than 107 bytes") }
                guard !socketPath.hasSuffix("/"), !socketPath.utf8.contains(0), !socketPath.contains("\n") else {
                    throw ModelError("port \(name): socket path \(socketPath) is not a file path")
                }
            }
        } else if socketPath != nil {
            throw ModelError("port \(name): --socket-path applies to vhost-user ports only")
        }
        if type == .bond {
            guard let bond else { throw ModelError("port \(name): a bond port needs members (add-bond)") }
            guard mtu == nil, mac == nil else { throw ModelError("port \(name): --mtu and --mac do not apply to bonds") }
            try bond.validate(port: name)
        } else if bond != nil {
            throw ModelError("port \(name): bond settings apply to bonds only")
        }
        if type == .vxlan {
            guard let vxlan else { throw ModelError("port \(name): a vxlan port needs --vni and --remote") }
            guard mac == nil else { throw ModelError("port \(name): --mac does not apply to vxlan ports") }
            try vxlan.validate(port: name)
        } else if vxlan != nil {
            throw ModelError("port \(name): tunnel settings apply to vxlan ports only")
        }
    }
}
