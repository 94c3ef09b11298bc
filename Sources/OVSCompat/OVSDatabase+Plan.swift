import ControlProtocol
import Foundation
import TapestryModel

/// Turning the edited working copy into one tapestryd transaction: the bridges, ports and QoS
/// rows that differ from what was read, as `add-br`/`del-br`/`add-port`/`del-port`/`set-port`/
/// `ovs-records` operations, applied by the daemon all together or not at all.
extension OVSDatabase {
    /// The operations that make the daemon's configuration equal to the working copy (empty when
    /// nothing changed). Refuses references to rows that do not exist and settings Tapestry cannot hold.
    public func plan() throws(OVSError) -> [TransactionOperation] {
        var ports = self.ports
        var records = self.records
        // Resolve `@name`s of rows created on this command line.
        func resolve(_ ref: String, _ what: String) throws(OVSError) -> String {
            guard ref.hasPrefix("@") else { return ref }
            guard let u = symbols[ref] else {
                throw OVSError("row id \"\(ref)\" is referenced but never created (e.g. with \"-- --id=\(ref) create ...\") (\(what))")
            }
            return u
        }
        for (name, p) in ports { if let q = p.qos { ports[name]?.qos = try resolve(q, "qos of port \(name)") } }
        for (u, r) in records {
            for (k, q) in r.queues { records[u]?.queues[k] = try resolve(q, "queue \(k) of QoS \(u)") }
        }
        for p in ports.values {
            if let q = p.qos, records[q]?.table != .qos {
                throw OVSError("transaction error: referential integrity violation: port \(p.name) qos refers to missing QoS row \(q)")
            }
        }
        for r in records.values {
            for (k, q) in r.queues where records[q]?.table != .queue {
                throw OVSError("transaction error: referential integrity violation: QoS \(r.uuid) queue \(k) refers to missing Queue row \(q)")
            }
        }

        var ops: [TransactionOperation] = []
        let oldBridges = Set(originalState.bridges.map(\.name))
        let newBridges = Set(bridges.map(\.name))
        for b in originalState.bridges where !newBridges.contains(b.name) {
            ops.append(try operation(Methods.DeleteBridge.self, DeleteBridgeParams(bridge: b.name, ifExists: false)))
        }
        for b in bridges where !oldBridges.contains(b.name) {
            ops.append(try operation(Methods.AddBridge.self, AddBridgeParams(bridge: BridgeConfig(name: b.name), mayExist: false,
                                                                             localPort: ports[b.name]?.bridge == b.name)))
        }
        let upserts = records.values.filter { originalState.records[$0.uuid] != $0 }.sorted { $0.uuid < $1.uuid }.map(\.record)
        if !upserts.isEmpty { ops.append(try operation(Methods.OVSRecords.self, OVSRecordsParams(upsert: upserts))) }
        for (name, old) in originalState.ports.sorted(by: { $0.key < $1.key }) where newBridges.contains(old.bridge) {
            if ports[name]?.bridge != old.bridge {
                ops.append(try operation(Methods.DeletePort.self, DeletePortParams(bridge: old.bridge, port: name, ifExists: false)))
            }
        }
        for (name, p) in ports.sorted(by: { $0.key < $1.key }) {
            // An unchanged row needs nothing, unless the QoS row it names (or that row's queue) changed.
            let qosRows = p.qos.map { [$0] + (records[$0]?.queues.values.map { $0 } ?? []) } ?? []
            let qosChanged = qosRows.contains { records[$0] != originalState.records[$0] }
            if let old = originalState.ports[name], old == self.ports[name], newBridges.contains(old.bridge), !qosChanged { continue }
            // A new bridge's local port comes with its add-br.
            if name == p.bridge && !oldBridges.contains(p.bridge) && p == PortRow(localPortOf: name) { continue }
            let config = try p.portConfig(records: records)
            if let old = originalState.ports[name], old.bridge == p.bridge, oldBridges.contains(p.bridge) {
                guard config != old.original else { continue }
                ops.append(try operation(Methods.SetPort.self, SetPortParams(replacingWith: config, bridge: p.bridge)))
            } else {
                ops.append(try operation(Methods.AddPort.self, AddPortParams(bridge: p.bridge, port: config, mayExist: false)))
            }
        }
        let deletes = originalState.records.keys.filter { records[$0] == nil }.sorted()
        if !deletes.isEmpty { ops.append(try operation(Methods.OVSRecords.self, OVSRecordsParams(delete: deletes))) }
        return ops
    }

    func operation<M: RPCMethod>(_: M.Type, _ params: M.Params) throws(OVSError) -> TransactionOperation {
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(params))
            return TransactionOperation(method: M.name, params: json)
        } catch {
            throw OVSError("could not encode \(M.name): \(error)")
        }
    }
}

extension OVSDatabase.RecordRow {
    var record: OVSRecord {
        var q: [String: String] = [:]
        for (k, v) in queues { q[String(k)] = v }
        return OVSRecord(table: table, uuid: uuid, type: table == .qos ? type : nil, otherConfig: otherConfig, queues: q,
                         externalIDs: externalIDs)
    }
}

extension OVSDatabase.PortRow {
    /// The Tapestry port this row describes.
    func portConfig(records: [String: OVSDatabase.RecordRow] = [:]) throws(OVSError) -> PortConfig {
        var c = original ?? PortConfig(name: name, type: interfaceType == "internal" ? .internal : interfaceType == "patch" ? .patch : .system)
        try checkOptions(&c)
        let v = try OVSDatabase.vlanSettings(tag: tag, trunks: trunks, mode: vlanMode, port: name)
        c.vlan = v.vlan; c.trunk = v.trunk; c.native = v.native; c.nativeMode = v.nativeMode
        c.externalIDs = externalIDs.isEmpty ? nil : externalIDs
        // A VM's tap (libvirt marks it with attached-mac) is a spanning-tree edge port, as ports
        // added with --network are: it forwards at once, as on an OVS bridge (no STP by default).
        if externalIDs["attached-mac"] != nil, c.stp?.edge == nil {
            var stp = c.stp ?? PortSTPConfig()
            stp.edge = true
            c.stp = stp
        }
        let ovs = OVSColumns(portExternalIDs: portExternalIDs, qos: qos, ingressPolicingRate: ingressPolicingRate,
                             ingressPolicingBurst: ingressPolicingBurst)
        try applyRates(to: &c, was: original?.ovs, records: records)
        c.ovs = ovs.isEmpty ? nil : ovs
        do { try c.validate() } catch { throw OVSError(error.message) }
        return c
    }
}

extension OVSDatabase.PortRow {
    /// A patch port's `options:peer` becomes its Tapestry peer; any other options must be the ones the
    /// port already has (vxlan, vhost-user: fixed at add-port) and a new non-patch port has none.
    func checkOptions(_ c: inout PortConfig) throws(OVSError) {
        if interfaceType == "patch" {
            for key in options.keys.sorted() where key != "peer" {
                throw OVSError("interface \(name): patch option \"\(key)\" is not supported by Tapestry (only peer)")
            }
            guard let peer = options["peer"], !peer.isEmpty else {
                throw OVSError("interface \(name): a patch interface needs options:peer=PORT (the patch port on the other bridge)")
            }
            if let old = original?.peer, old != peer {
                throw OVSError("interface \(name): cannot change the peer of a patch port from \(old) to \(peer) (delete and add the port)")
            }
            c.peer = peer
        } else if options != (original.map(Self.options(of:)) ?? [:]) {
            throw OVSError(original == nil
                ? "interface \(name): options are supported for type=patch only (options:peer=PORT)"
                : "interface \(name): cannot change options of a \(interfaceType.isEmpty ? "system" : interfaceType) interface (delete and add the port)")
        }
    }
}

extension OVSDatabase {
    /// Open vSwitch's `tag`, `trunks` and `vlan_mode` as Tapestry's VLAN settings.
    static func vlanSettings(tag: Int?, trunks: [Int], mode: String?, port: String)
        throws(OVSError) -> (vlan: VLANID?, trunk: VLANSet?, native: VLANID?, nativeMode: NativeMode?) {
        func vid(_ n: Int, _ what: String) throws(OVSError) -> VLANID {
            guard let v = VLANID(n) else { throw OVSError("port \(port): \(what) \(n) is not supported by Tapestry (VLAN ids are 1-4094)") }
            return v
        }
        var set: VLANSet? = nil
        if !trunks.isEmpty {
            var s = VLANSet()
            for t in trunks { s.insert(try vid(t, "trunk VLAN")) }
            set = s
        }
        switch mode {
        case nil:
            if let tag { return (try vid(tag, "tag"), nil, nil, nil) }
            return (nil, set, nil, nil)
        case "access":
            guard let tag else { throw OVSError("port \(port): vlan_mode access needs a tag") }
            return (try vid(tag, "tag"), nil, nil, nil)
        case "trunk":
            return (nil, set, nil, nil)
        case "native-tagged", "native-untagged":
            guard let tag else { throw OVSError("port \(port): vlan_mode \(mode ?? "") needs a tag (the native VLAN)") }
            let native = try vid(tag, "tag")
            if var s = set { s.insert(native); set = s }
            return (nil, set, native, mode == "native-tagged" ? .tagged : .untagged)
        case let other?:
            throw OVSError("port \(port): vlan_mode \(other) is not supported")
        }
    }
}

extension SetPortParams {
    /// A `set-port` that gives the port exactly `config`'s VLAN role, external ids, OVS columns and rates.
    init(replacingWith config: PortConfig, bridge: String) {
        self.init(bridge: bridge, port: config.name, accessVLAN: config.vlan, trunk: config.trunk, native: config.native,
                  nativeMode: config.nativeMode, clearVLAN: true, isolated: config.isolated)
        externalIDs = config.externalIDs ?? [:]
        ovs = config.ovs ?? OVSColumns()
        // The rates as OVS's columns left them (OVSDatabase+Policy): cleared, then set again.
        var rates = PortPolicy()
        rates.ingressRate = config.policy?.ingressRate; rates.ingressBurst = config.policy?.ingressBurst
        rates.egressRate = config.policy?.egressRate; rates.egressBurst = config.policy?.egressBurst
        rates.egressPeak = config.policy?.egressPeak
        policy = PortPolicyEdit(values: rates, clear: [.ingressRate, .egressRate])
    }
}

extension OVSDatabase {
    /// What `show` would report once the plan is applied (no runtime state): lets tests run
    /// several invocations in a row without a daemon.
    func committedShow() throws(OVSError) -> ShowResult {
        _ = try plan()
        var records: [OVSRecord] = []
        var resolved: [String: RecordRow] = [:]
        for r in self.records.values.sorted(by: { $0.uuid < $1.uuid }) {
            var row = r
            for (k, q) in row.queues { row.queues[k] = symbols[q] ?? q }
            records.append(row.record)
            resolved[row.uuid] = row
        }
        var bridgeStatuses: [BridgeStatus] = []
        for b in bridges {
            var statuses: [PortStatus] = []
            for name in ports.keys.sorted() {
                guard var p = ports[name], p.bridge == b.name else { continue }
                if let q = p.qos { p.qos = symbols[q] ?? q }
                statuses.append(PortStatus(config: try p.portConfig(records: resolved), state: "up"))
            }
            bridgeStatuses.append(BridgeStatus(name: b.name, mode: .learning, macAging: 300, macTableSize: 8192, macCount: 0,
                                               ports: statuses, staticMACs: []))
        }
        return ShowResult(generation: generation + 1, bridges: bridgeStatuses, ovsRecords: records.isEmpty ? nil : records)
    }
}
