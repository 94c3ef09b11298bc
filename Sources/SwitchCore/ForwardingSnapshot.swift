import TapestryModel

/// One port as the fast path sees it.
public struct ForwardingPort: Sendable {
    /// Stable identity used by the MAC table (assigned by the daemon, small and dense).
    public let id: UInt32
    public let name: String
    public let vlan: VLANPolicy
    public let isolated: Bool

    public init(id: UInt32, name: String, vlan: VLANPolicy, isolated: Bool) {
        self.id = id; self.name = name; self.vlan = vlan; self.isolated = isolated
    }
}

/// An immutable picture of one bridge's configuration, built by the control path and
/// swapped into the datapath between batches.
public final class ForwardingSnapshot: Sendable {
    public let bridge: String
    public let mode: BridgeMode
    /// Ports by slot (the position the datapath uses for I/O).
    public let ports: [ForwardingPort]
    /// Slot of each port id, -1 where the id is not on this bridge.
    public let slotByID: [Int32]
    public let agingMillis: Int64
    public let tableSize: Int
    /// Static MACs: (mac, vlan, port id).
    public let staticEntries: [(mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)]

    public init(bridge: String, mode: BridgeMode, ports: [ForwardingPort], agingMillis: Int64, tableSize: Int,
                staticEntries: [(mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)] = []) {
        self.bridge = bridge; self.mode = mode; self.ports = ports
        self.agingMillis = agingMillis; self.tableSize = tableSize; self.staticEntries = staticEntries
        var map = [Int32](repeating: -1, count: Int(ports.map(\.id).max() ?? 0) + 1)
        for (slot, p) in ports.enumerated() { map[Int(p.id)] = Int32(slot) }
        slotByID = map
    }

    /// Builds the snapshot of `config`, given each port's id.
    public convenience init(config: BridgeConfig, portIDs: [String: UInt32]) {
        let ports = config.ports.compactMap { p -> ForwardingPort? in
            guard let id = portIDs[p.name] else { return nil }
            return ForwardingPort(id: id, name: p.name, vlan: VLANPolicy(p.vlanMode), isolated: p.isolated)
        }
        let statics = config.staticMACs.compactMap { s -> (mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)? in
            guard let id = portIDs[s.port] else { return nil }
            return (s.mac, s.vlan.value, id, s.remote?.value ?? 0)
        }
        self.init(bridge: config.name, mode: config.mode, ports: ports, agingMillis: Int64(config.macAging) * 1000,
                  tableSize: config.macTableSize, staticEntries: statics)
    }

    @inline(__always)
    public func slot(of id: UInt32) -> Int {
        Int(id) < slotByID.count ? Int(slotByID[Int(id)]) : -1
    }
}
