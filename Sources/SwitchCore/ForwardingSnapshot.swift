import TapestryModel

/// One port as the fast path sees it.
public struct ForwardingPort: Sendable {
    /// Stable identity used by the MAC table (assigned by the daemon, small and dense).
    public let id: UInt32
    public let name: String
    public let vlan: VLANPolicy
    public let isolated: Bool
    /// The most MACs learned on this port (nil: only the table cap).
    public let maxMACs: Int?
    /// A mirror's output: carries only mirrored copies; frames arriving on it are dropped.
    public let isMirrorOutput: Bool

    public init(id: UInt32, name: String, vlan: VLANPolicy, isolated: Bool, maxMACs: Int? = nil, isMirrorOutput: Bool = false) {
        self.id = id; self.name = name; self.vlan = vlan; self.isolated = isolated; self.maxMACs = maxMACs
        self.isMirrorOutput = isMirrorOutput
    }
}

/// A mirror as the fast path uses it: which frames, and the slot their copies leave through.
public struct MirrorRule: Sendable {
    public let name: String
    public let selectAll: Bool
    /// Selected slots (frames entering or leaving them).
    public let slots: [Int]
    public let vlans: VLANSet
    public let outSlot: Int
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
    public let mirrors: [MirrorRule]

    public init(bridge: String, mode: BridgeMode, ports: [ForwardingPort], agingMillis: Int64, tableSize: Int,
                staticEntries: [(mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)] = [],
                mirrors: [MirrorRule] = []) {
        self.bridge = bridge; self.mode = mode; self.ports = ports
        self.agingMillis = agingMillis; self.tableSize = tableSize; self.staticEntries = staticEntries
        self.mirrors = mirrors
        var map = [Int32](repeating: -1, count: Int(ports.map(\.id).max() ?? 0) + 1)
        for (slot, p) in ports.enumerated() { map[Int(p.id)] = Int32(slot) }
        slotByID = map
    }

    /// Builds the snapshot of `config`, given each port's id.
    public convenience init(config: BridgeConfig, portIDs: [String: UInt32]) {
        let outputs = Set(config.mirrors.map(\.output))
        let ports = config.ports.compactMap { p -> ForwardingPort? in
            guard let id = portIDs[p.name] else { return nil }
            return ForwardingPort(id: id, name: p.name, vlan: VLANPolicy(p.vlanMode), isolated: p.isolated,
                                  maxMACs: p.maxMACs, isMirrorOutput: outputs.contains(p.name))
        }
        let slotOf = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, $0) })
        let mirrors = config.mirrors.compactMap { m -> MirrorRule? in
            guard let out = slotOf[m.output] else { return nil }
            return MirrorRule(name: m.name, selectAll: m.selectAll, slots: m.selectPorts.compactMap { slotOf[$0] },
                              vlans: VLANSet(m.selectVLANs), outSlot: out)
        }
        let statics = config.staticMACs.compactMap { s -> (mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)? in
            guard let id = portIDs[s.port] else { return nil }
            return (s.mac, s.vlan.value, id, s.remote?.value ?? 0)
        }
        self.init(bridge: config.name, mode: config.mode, ports: ports, agingMillis: Int64(config.macAging) * 1000,
                  tableSize: config.macTableSize, staticEntries: statics, mirrors: mirrors)
    }

    @inline(__always)
    public func slot(of id: UInt32) -> Int {
        Int(id) < slotByID.count ? Int(slotByID[Int(id)]) : -1
    }
}
