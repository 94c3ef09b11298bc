import ControlProtocol
import TapestryModel

/// Tapestry's configuration seen as Open vSwitch's database: Bridge rows for bridges, a Port and
/// an Interface row for each port, and the QoS and Queue rows kept for libvirt. Commands edit
/// this working copy; `plan()` then turns the difference into one tapestryd transaction.
public struct OVSDatabase: Sendable {
    /// A bridge, by name.
    struct BridgeRow: Sendable, Equatable {
        var name: String
        var ports: [String]
    }

    /// A port together with its one interface (Tapestry ports have exactly one).
    struct PortRow: Sendable, Equatable {
        var name: String
        var bridge: String
        /// The Interface `type`: "" (an existing netdev), "internal", "tap", "vxlan", "patch", …
        var interfaceType: String
        /// The Interface `options` (a patch port's `peer`, a vxlan port's `remote_ip` and `key`, …).
        var options: [String: String]
        var tag: Int?
        var trunks: [Int]
        var vlanMode: String?
        var externalIDs: [String: String]
        var portExternalIDs: [String: String]
        /// A QoS UUID, or a `@name` until the end of the command line.
        var qos: String?
        var ingressPolicingRate: Int
        var ingressPolicingBurst: Int
        var original: PortConfig?
    }

    /// A QoS or Queue row; `queues` values may be `@name`s until the end of the command line.
    struct RecordRow: Sendable, Equatable {
        var table: OVSRecord.Table
        var uuid: String
        var type: String
        var otherConfig: [String: String]
        var queues: [Int: String]
        var externalIDs: [String: String]
    }

    let generation: Int
    let originalState: (bridges: [BridgeRow], ports: [String: PortRow], records: [String: RecordRow])
    var bridges: [BridgeRow]
    var ports: [String: PortRow]
    var records: [String: RecordRow]
    /// `@name` → UUID of rows created on this command line.
    var symbols: [String: String] = [:]
    /// Makes UUIDs for created rows (random in use, fixed in tests).
    var makeUUID: @Sendable () -> String
    /// The ports' state on the host as `show` reported it (MAC, ifindex, link), by name.
    var runtime: [String: PortStatus] = [:]
    /// Interface counters by port name (`statistics` column), when the caller fetched them.
    public var statistics: [String: [String: Int]] = [:]

    /// The database as `show` (with every bridge) describes it.
    public init(show: ShowResult, makeUUID: @escaping @Sendable () -> String) {
        generation = show.generation
        self.makeUUID = makeUUID
        var bridges: [BridgeRow] = []
        var ports: [String: PortRow] = [:]
        for b in show.bridges {
            bridges.append(BridgeRow(name: b.name, ports: b.ports.map(\.config.name)))
            for p in b.ports {
                ports[p.config.name] = PortRow(config: p.config, bridge: b.name)
                runtime[p.config.name] = p
            }
        }
        var records: [String: RecordRow] = [:]
        for r in show.ovsRecords ?? [] {
            var queues: [Int: String] = [:]
            for (k, v) in r.queues { if let n = Int(k) { queues[n] = v } }
            records[r.uuid] = RecordRow(table: r.table, uuid: r.uuid, type: r.type ?? "", otherConfig: r.otherConfig, queues: queues,
                                        externalIDs: r.externalIDs)
        }
        self.bridges = bridges; self.ports = ports; self.records = records
        originalState = (bridges, ports, records)
    }

    func bridge(_ name: String) -> BridgeRow? { bridges.first { $0.name == name } }

    /// The bridge holding port `name`.
    func bridge(holding name: String) -> String? { ports[name]?.bridge }
}

extension OVSDatabase.PortRow {
    /// The local port `add-br` makes: an internal interface named like the bridge.
    init(localPortOf bridge: String) {
        name = bridge; self.bridge = bridge; interfaceType = "internal"; options = [:]; tag = nil; trunks = []; vlanMode = nil
        externalIDs = [:]; portExternalIDs = [:]; qos = nil; ingressPolicingRate = 0; ingressPolicingBurst = 0; original = nil
    }

    /// The OVS view of a configured port.
    init(config p: PortConfig, bridge: String) {
        name = p.name
        self.bridge = bridge
        switch p.type {
        case .system: interfaceType = ""
        case .internal: interfaceType = "internal"
        case .tap: interfaceType = "tap"
        case .vxlan: interfaceType = "vxlan"
        case .patch: interfaceType = "patch"
        case .vhostUser: interfaceType = "dpdkvhostuser"
        case .vhostUserClient: interfaceType = "dpdkvhostuserclient"
        case .bond: interfaceType = ""  // a bond's members are system netdevs
        }
        options = Self.options(of: p)
        switch p.vlanMode {
        case .access(let v): tag = Int(v.value); trunks = []; vlanMode = nil
        case .trunk(let allowed, let native, let mode):
            if p.trunk == nil && p.native == nil && p.nativeMode == nil {
                tag = nil; trunks = []; vlanMode = nil
            } else {
                trunks = allowed.isAll ? [] : allowed.members.map { Int($0) }
                if let native {
                    tag = Int(native.value); vlanMode = mode == .tagged ? "native-tagged" : "native-untagged"
                } else {
                    tag = nil; vlanMode = "trunk"
                }
            }
        }
        externalIDs = p.externalIDs ?? [:]
        portExternalIDs = p.ovs?.portExternalIDs ?? [:]
        qos = p.ovs?.qos
        ingressPolicingRate = p.ovs?.ingressPolicingRate ?? 0
        ingressPolicingBurst = p.ovs?.ingressPolicingBurst ?? 0
        original = p
    }

    /// A new port added by `add-port`.
    init(newPort name: String, bridge: String) {
        self.name = name; self.bridge = bridge; interfaceType = ""; options = [:]; tag = nil; trunks = []; vlanMode = nil
        externalIDs = [:]; portExternalIDs = [:]; qos = nil; ingressPolicingRate = 0; ingressPolicingBurst = 0
        original = nil
    }

    /// The Interface `options` Open vSwitch would show for a configured port.
    static func options(of p: PortConfig) -> [String: String] {
        if let peer = p.peer, p.type == .patch { return ["peer": peer] }
        if let path = p.socketPath { return ["vhost-server-path": path] }
        guard let v = p.vxlan else { return [:] }
        return ["remote_ip": v.remotes.map(\.description).joined(separator: ","), "key": String(v.vni)]
    }
}
