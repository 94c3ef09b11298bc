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
    /// Link and spanning-tree state: a port that is not forwarding is neither flooded nor sent to.
    public let state: PortForwardingState
    /// Rate limits, port security and storm control (nil: none, the fast path checks nothing).
    public let policy: PortPolicyState?
    /// ARP suppression: the port's ARP is snooped and its broadcast requests for bound IPs answered.
    public let suppressesARP: Bool

    public init(id: UInt32, name: String, vlan: VLANPolicy, isolated: Bool, maxMACs: Int? = nil, isMirrorOutput: Bool = false,
                state: PortForwardingState = .forwarding, policy: PortPolicyState? = nil, suppressesARP: Bool = false) {
        self.id = id; self.name = name; self.vlan = vlan; self.isolated = isolated; self.maxMACs = maxMACs
        self.isMirrorOutput = isMirrorOutput; self.state = state; self.policy = policy; self.suppressesARP = suppressesARP
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

/// The per-port facts the fast path reads for every frame, packed without references.
struct FastPort {
    static let isolated: UInt8 = 1, untaggedEgress: UInt8 = 2, access: UInt8 = 4, mirrorOutput: UInt8 = 8
    static let noForward: UInt8 = 16, noLearn: UInt8 = 32, policed: UInt8 = 64, arpSuppress: UInt8 = 128
    var id: UInt32
    var untaggedVLAN: UInt16
    var flags: UInt8
    /// The port's policy (`ForwardingPort.policy`, which keeps it alive), unretained: the pipeline
    /// uses it without writing its reference count, a line the threads of the bridge share.
    var policy: Unmanaged<PortPolicyState>?
}

/// An immutable picture of one bridge's configuration, built by the control path and
/// swapped into the datapath between batches. Besides the readable `ports`, it keeps a packed
/// copy (flags, untagged VLAN, a 4096-bit VLAN membership map per port) in raw memory that the
/// fast path reads without reference counting; it is written once in `init` and freed in `deinit`.
public final class ForwardingSnapshot: @unchecked Sendable {
    let fast: UnsafeMutablePointer<FastPort>
    /// 64 words (4096 bits) of VLAN membership per slot.
    let memberWords: UnsafeMutablePointer<UInt64>
    let fastSlotByID: UnsafeMutablePointer<Int32>
    let fastSlotByIDCount: Int
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
    /// ARP suppression's answers: `ARPSuppression.key(vlan:ip:)` → the MAC's raw value. Read only
    /// for ARP frames of ports with `suppressesARP`.
    public let arpBindings: [UInt64: UInt64]
    /// The IPv6 bindings answered for (neighbour solicitations) → the MAC's raw value.
    public let ndBindings: [ARPSuppression.NeighborKey: UInt64]

    public init(bridge: String, mode: BridgeMode, ports: [ForwardingPort], agingMillis: Int64, tableSize: Int,
                staticEntries: [(mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)] = [],
                mirrors: [MirrorRule] = [], arpBindings: [UInt64: UInt64] = [:],
                ndBindings: [ARPSuppression.NeighborKey: UInt64] = [:]) {
        self.bridge = bridge; self.mode = mode; self.ports = ports
        self.agingMillis = agingMillis; self.tableSize = tableSize; self.staticEntries = staticEntries
        self.mirrors = mirrors; self.arpBindings = arpBindings; self.ndBindings = ndBindings
        var map = [Int32](repeating: -1, count: Int(ports.map(\.id).max() ?? 0) + 1)
        for (slot, p) in ports.enumerated() { map[Int(p.id)] = Int32(slot) }
        slotByID = map
        let n = max(ports.count, 1)
        fast = .allocate(capacity: n)
        memberWords = .allocate(capacity: n * 64)
        memberWords.initialize(repeating: 0, count: n * 64)
        for (slot, p) in ports.enumerated() {
            var flags: UInt8 = 0
            if p.isolated { flags |= FastPort.isolated }
            if p.vlan.untaggedEgress { flags |= FastPort.untaggedEgress }
            if p.vlan.isAccess { flags |= FastPort.access }
            if p.isMirrorOutput { flags |= FastPort.mirrorOutput }
            if !p.state.forwards { flags |= FastPort.noForward }
            if !p.state.learns { flags |= FastPort.noLearn }
            if p.policy != nil { flags |= FastPort.policed }
            if p.suppressesARP { flags |= FastPort.arpSuppress }
            (fast + slot).initialize(to: FastPort(id: p.id, untaggedVLAN: p.vlan.untaggedVLAN, flags: flags,
                                                   policy: p.policy.map { Unmanaged.passUnretained($0) }))
            for (w, bits) in p.vlan.members.bitmapWords.enumerated() { memberWords[slot * 64 + w] = bits }
        }
        fastSlotByIDCount = map.count
        fastSlotByID = .allocate(capacity: map.count)
        fastSlotByID.initialize(from: map, count: map.count)
    }

    deinit {
        fast.deallocate(); memberWords.deallocate(); fastSlotByID.deallocate()
    }

    /// The policy of the port at `slot` without retaining it (nil: none). The snapshot keeps it
    /// alive; a datapath thread reads it per frame without writing its reference count, which
    /// the other threads forwarding to the same port would then have to fetch back.
    @inline(__always)
    public func policyRef(_ slot: Int) -> Unmanaged<PortPolicyState>? { fast[slot].policy }

    @inline(__always)
    func carries(_ slot: Int, _ vlan: UInt16) -> Bool {
        memberWords[slot &* 64 &+ Int(vlan >> 6)] & (1 << UInt64(vlan & 63)) != 0
    }

    @inline(__always)
    func fastSlot(of id: UInt32) -> Int {
        Int(id) < fastSlotByIDCount ? Int(fastSlotByID[Int(id)]) : -1
    }

    /// Builds the snapshot of `config`, given each port's id.
    /// `states` gives the ports whose link or spanning-tree state is not forwarding.
    public convenience init(config: BridgeConfig, portIDs: [String: UInt32], states: [String: PortForwardingState] = [:]) {
        let outputs = Set(config.mirrors.map(\.output))
        let suppressing = config.arpSuppression != nil
        let ports = config.ports.compactMap { p -> ForwardingPort? in
            guard let id = portIDs[p.name] else { return nil }
            return ForwardingPort(id: id, name: p.name, vlan: VLANPolicy(p.vlanMode), isolated: p.isolated,
                                  maxMACs: p.maxMACs, isMirrorOutput: outputs.contains(p.name),
                                  state: states[p.name] ?? .forwarding,
                                  policy: PortPolicyState.make(p.policy, trustedByDefault: p.type.isTrustedByDefault, now: 0),
                                  suppressesARP: suppressing && p.type != .vxlan && p.type != .patch)
        }
        let slotOf = Dictionary(uniqueKeysWithValues: ports.enumerated().map { ($1.name, $0) })
        let mirrors = config.mirrors.compactMap { m -> MirrorRule? in
            guard let out = slotOf[m.output] else { return nil }
            return MirrorRule(name: m.name, selectAll: m.selectAll, slots: m.selectPorts.compactMap { slotOf[$0] },
                              vlans: VLANSet(m.selectVLANs), outSlot: out)
        }
        let statics = config.staticMACs.compactMap { s -> (mac: MACAddress, vlan: UInt16, port: UInt32, remote: UInt32)? in
            guard let id = portIDs[s.port] else { return nil }
            return (s.mac, s.vlan.value, id, s.remote.flatMap(TunnelRemoteKey.key(for:)) ?? TunnelRemoteKey.none)
        }
        self.init(bridge: config.name, mode: config.mode, ports: ports, agingMillis: Int64(config.macAging) * 1000,
                  tableSize: config.macTableSize, staticEntries: statics, mirrors: mirrors,
                  arpBindings: ARPSuppression.bindings(config.arpSuppression),
                  ndBindings: ARPSuppression.neighbors(config.arpSuppression))
    }

    @inline(__always)
    public func slot(of id: UInt32) -> Int {
        Int(id) < slotByID.count ? Int(slotByID[Int(id)]) : -1
    }
}
