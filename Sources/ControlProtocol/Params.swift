import TapestryModel

/// `tapestry --version` against the daemon.
public struct VersionInfo: Codable, Sendable {
    public var version: String
    public var pid: Int32
    public init(version: String, pid: Int32) { self.version = version; self.pid = pid }
}

/// `add-br NAME --mode M --mac-aging S --mac-table-size N [--may-exist] [--no-local-port]`.
public struct AddBridgeParams: Codable, Sendable {
    public var bridge: BridgeConfig
    public var mayExist: Bool
    /// Whether the bridge gets its local port: an internal port named like the bridge (as
    /// `ovs-vsctl add-br` makes). Absent (older clients, topology files) means no.
    public var localPort: Bool?
    public init(bridge: BridgeConfig, mayExist: Bool, localPort: Bool? = nil) {
        self.bridge = bridge; self.mayExist = mayExist; self.localPort = localPort
    }
}

/// `del-br NAME [--if-exists]`.
public struct DeleteBridgeParams: Codable, Sendable {
    public var bridge: String
    public var ifExists: Bool
    public init(bridge: String, ifExists: Bool) { self.bridge = bridge; self.ifExists = ifExists }
}

/// `set-br NAME [--mode] [--mac-aging] [--mac-table-size]`: only the given fields change.
public struct SetBridgeParams: Codable, Sendable {
    public var bridge: String
    public var mode: BridgeMode?
    public var macAging: Int?
    public var macTableSize: Int?
    /// `--stp rstp|stp|off`.
    public var stp: String?
    public var stpPriority: Int?
    public var stpHello: Int?
    public var stpMaxAge: Int?
    public var stpForwardDelay: Int?
    public init(bridge: String, mode: BridgeMode? = nil, macAging: Int? = nil, macTableSize: Int? = nil) {
        self.bridge = bridge; self.mode = mode; self.macAging = macAging; self.macTableSize = macTableSize
    }
}

/// `add-port BRIDGE PORT --type T ... [--may-exist]`.
public struct AddPortParams: Codable, Sendable {
    public var bridge: String
    public var port: PortConfig
    public var mayExist: Bool
    /// `--network NAME`: add the port to that network's bridge (then `bridge` may be empty).
    public var network: String?
    /// `--portgroup NAME`: the network's portgroup whose VLAN and bandwidth the port takes (nil: the default one).
    public var portGroup: String?
    public init(bridge: String, port: PortConfig, mayExist: Bool, network: String? = nil, portGroup: String? = nil) {
        self.bridge = bridge; self.port = port; self.mayExist = mayExist; self.network = network; self.portGroup = portGroup
    }
}

/// `del-port BRIDGE PORT [--if-exists]`.
public struct DeletePortParams: Codable, Sendable {
    public var bridge: String
    public var port: String
    public var ifExists: Bool
    public init(bridge: String, port: String, ifExists: Bool) { self.bridge = bridge; self.port = port; self.ifExists = ifExists }
}

/// `set-port BRIDGE PORT ...`: each field that is set replaces the port's setting.
/// `accessVLAN` switches the port to access mode; `trunk`/`native`/`nativeMode` to trunk mode;
/// `clearVLAN` returns it to the default (trunk of all VLANs, native 1 untagged).
public struct SetPortParams: Codable, Sendable {
    public var bridge: String
    public var port: String
    public var accessVLAN: VLANID?
    public var trunk: VLANSet?
    public var native: VLANID?
    public var nativeMode: NativeMode?
    public var clearVLAN: Bool
    public var isolated: Bool?
    /// `--max-macs N` (0 removes the limit).
    public var maxMACs: Int?
    /// `--stp-cost/--stp-priority/--stp-edge/--bpdu-guard/--stp-p2p`: the fields given replace the port's.
    public var stp: PortSTPConfig?
    /// Rate limits, port security, storm control and impairments to set or clear.
    public var policy: PortPolicyEdit?
    /// Replaces the port's external ids (an empty map removes them).
    public var externalIDs: [String: String]?
    /// Replaces the port's Open vSwitch columns (empty ones remove them).
    public var ovs: OVSColumns?
    public init(bridge: String, port: String, accessVLAN: VLANID? = nil, trunk: VLANSet? = nil, native: VLANID? = nil,
                nativeMode: NativeMode? = nil, clearVLAN: Bool = false, isolated: Bool? = nil) {
        self.bridge = bridge; self.port = port; self.accessVLAN = accessVLAN; self.trunk = trunk; self.native = native
        self.nativeMode = nativeMode; self.clearVLAN = clearVLAN; self.isolated = isolated
    }
}

/// `show`, `list-br`, `list-ports BRIDGE`: one bridge or all.
public struct ShowParams: Codable, Sendable {
    public var bridge: String?
    public init(bridge: String? = nil) { self.bridge = bridge }
}

/// `fdb-show BRIDGE [--vlan V]`.
public struct FDBShowParams: Codable, Sendable {
    public var bridge: String
    public var vlan: VLANID?
    public init(bridge: String, vlan: VLANID? = nil) { self.bridge = bridge; self.vlan = vlan }
}

/// `fdb-flush BRIDGE [--port P]`: learned entries only; static entries stay.
public struct FDBFlushParams: Codable, Sendable {
    public var bridge: String
    public var port: String?
    public init(bridge: String, port: String? = nil) { self.bridge = bridge; self.port = port }
}

/// `fdb-add BRIDGE PORT MAC [--vlan V]` and `fdb-del BRIDGE MAC [--vlan V]` (port unused there).
public struct FDBEntryParams: Codable, Sendable {
    public var bridge: String
    public var port: String?
    public var mac: MACAddress
    public var vlan: VLANID
    /// For a vxlan port: the remote behind which the MAC lives (`fdb-add ... --remote IP`).
    public var remote: IPAddress?
    public init(bridge: String, port: String?, mac: MACAddress, vlan: VLANID, remote: IPAddress? = nil) {
        self.bridge = bridge; self.port = port; self.mac = mac; self.vlan = vlan; self.remote = remote
    }
}

/// `stats BRIDGE [PORT]`.
public struct StatsParams: Codable, Sendable {
    public var bridge: String
    public var port: String?
    public init(bridge: String, port: String? = nil) { self.bridge = bridge; self.port = port }
}
