import ControlProtocol
import TapestryModel

/// Finding rows and reading and writing their columns.
extension OVSDatabase {
    /// One row of one table.
    enum RowRef: Sendable, Equatable {
        case bridge(String), port(String), interface(String), record(String), root
    }

    /// Every row of `table`, in a stable order.
    func rows(_ table: OVSTable) -> [RowRef] {
        switch table {
        case .bridge: return bridges.map(\.name).sorted().map { .bridge($0) }
        case .port: return ports.keys.sorted().map { .port($0) }
        case .interface: return ports.keys.sorted().map { .interface($0) }
        case .qos: return records.values.filter { $0.table == .qos }.map(\.uuid).sorted().map { .record($0) }
        case .queue: return records.values.filter { $0.table == .queue }.map(\.uuid).sorted().map { .record($0) }
        case .openVSwitch: return [.root]
        }
    }

    /// The row of `table` named `id` (a name or a UUID; `.` for Open_vSwitch); nil if none.
    func row(_ table: OVSTable, _ id: String) -> RowRef? {
        let lower = id.lowercased()
        switch table {
        case .bridge:
            if bridge(id) != nil { return .bridge(id) }
            return bridges.first { OVSUUID.stable(table: "Bridge", name: $0.name) == lower }.map { .bridge($0.name) }
        case .port:
            if ports[id] != nil { return .port(id) }
            return ports.keys.first { OVSUUID.stable(table: "Port", name: $0) == lower }.map { .port($0) }
        case .interface:
            if ports[id] != nil { return .interface(id) }
            return ports.keys.first { OVSUUID.stable(table: "Interface", name: $0) == lower }.map { .interface($0) }
        case .qos, .queue:
            let uuid = symbols[id] ?? lower
            guard let r = records[uuid], r.table.rawValue == table.rawValue else { return nil }
            return .record(uuid)
        case .openVSwitch:
            return id == "." ? .root : nil
        }
    }

    /// Like `row`, but a missing row is an error in ovs-vsctl's words.
    func requireRow(_ table: OVSTable, _ id: String) throws(OVSError) -> RowRef {
        guard let r = row(table, id) else { throw OVSError("no row \"\(id)\" in table \(table.rawValue)") }
        return r
    }

    /// The value of `column` in `row`.
    func datum(_ row: RowRef, _ column: OVSTable.Column) -> OVSDatum {
        switch row {
        case .root:
            switch column.name {
            case "_uuid": return .atom(.uuid(OVSUUID.stable(table: "Open_vSwitch", name: ".")))
            case "bridges": return OVSDatum(keys: bridges.map { .uuid(OVSUUID.stable(table: "Bridge", name: $0.name)) })
            case "ovs_version": return .optional(.string("tapestry"))
            default: return .emptyMap
            }
        case .bridge(let name):
            let b = bridge(name)
            switch column.name {
            case "_uuid": return .atom(.uuid(OVSUUID.stable(table: "Bridge", name: name)))
            case "name": return .atom(.string(name))
            case "ports": return OVSDatum(keys: (b?.ports ?? []).map { .uuid(OVSUUID.stable(table: "Port", name: $0)) })
            case "datapath_type": return .atom(.string("tapestry"))
            case "fail_mode": return OVSDatum()
            case "stp_enable", "rstp_enable": return .atom(.boolean(false))
            default: return .emptyMap
            }
        case .port(let name):
            guard let p = ports[name] else { return OVSDatum() }
            switch column.name {
            case "_uuid": return .atom(.uuid(OVSUUID.stable(table: "Port", name: name)))
            case "name": return .atom(.string(name))
            case "interfaces": return .atom(.uuid(OVSUUID.stable(table: "Interface", name: name)))
            case "tag": return .optional(p.tag.map { .integer($0) })
            case "trunks": return OVSDatum(keys: p.trunks.map { .integer($0) })
            case "vlan_mode": return .optional(p.vlanMode.map { .string($0) })
            case "qos": return .optional(p.qos.map { .uuid(symbols[$0] ?? $0) })
            case "external_ids": return .map(p.portExternalIDs)
            default: return .emptyMap
            }
        case .interface(let name):
            guard let p = ports[name] else { return OVSDatum() }
            let s = runtime[name]
            switch column.name {
            case "_uuid": return .atom(.uuid(OVSUUID.stable(table: "Interface", name: name)))
            case "name": return .atom(.string(name))
            case "type": return .atom(.string(p.interfaceType))
            case "external_ids": return .map(p.externalIDs)
            case "ingress_policing_rate": return .atom(.integer(p.ingressPolicingRate))
            case "ingress_policing_burst": return .atom(.integer(p.ingressPolicingBurst))
            case "options": return .map(p.options)
            case "mac_in_use": return .optional(s?.mac.map { .string($0.description) })
            case "ifindex": return .optional(s?.ifindex.map { .integer(Int($0)) })
            case "ofport": return .optional(s?.ifindex.map { .integer(Int($0)) })
            case "admin_state": return .optional(s.map { .string($0.state == "up" ? "up" : "down") })
            case "link_state": return .optional(s.map { .string($0.state == "up" && $0.carrier != false ? "up" : "down") })
            case "mtu": return .optional(p.original?.mtu.map { .integer($0) })
            case "error": return .optional(s?.error.map { .string($0) })
            case "statistics":
                let st = statistics[name] ?? [:]
                let keys = st.keys.sorted()
                return OVSDatum(keys: keys.map { .string($0) }, values: keys.map { .integer(st[$0] ?? 0) })
            default: return .emptyMap
            }
        case .record(let uuid):
            guard let r = records[uuid] else { return OVSDatum() }
            switch column.name {
            case "_uuid": return .atom(.uuid(uuid))
            case "type": return .atom(.string(r.type))
            case "queues":
                let keys = r.queues.keys.sorted()
                return OVSDatum(keys: keys.map { .integer($0) }, values: keys.map { .uuid(symbols[r.queues[$0] ?? ""] ?? r.queues[$0] ?? "") })
            case "other_config": return .map(r.otherConfig)
            case "external_ids": return .map(r.externalIDs)
            case "dscp": return OVSDatum()
            default: return .emptyMap
            }
        }
    }

    /// Replaces the value of a writable `column` in `row`.
    mutating func setDatum(_ row: RowRef, _ table: OVSTable, _ column: OVSTable.Column, _ d: OVSDatum) throws(OVSError) {
        guard column.writable else {
            throw OVSError("cannot modify read-only column \(column.name) in table \(table.rawValue)")
        }
        switch row {
        case .port(let name):
            guard var p = ports[name] else { return }
            switch column.name {
            case "tag": p.tag = d.keys.first.flatMap { if case .integer(let n) = $0 { n } else { nil } }
            case "trunks": p.trunks = d.keys.compactMap { if case .integer(let n) = $0 { n } else { nil } }
            case "vlan_mode": p.vlanMode = d.keys.first?.text
            case "qos": p.qos = d.keys.first?.text
            case "external_ids": p.portExternalIDs = d.stringMap
            default: throw OVSError("cannot modify column \(column.name) in table \(table.rawValue)")
            }
            ports[name] = p
        case .interface(let name):
            guard var p = ports[name] else { return }
            switch column.name {
            case "type":
                let t = d.keys.first?.text ?? ""
                let wanted = t == "system" ? "" : t
                if p.original == nil {
                    guard wanted == "" || wanted == "internal" || wanted == "patch" else {
                        throw OVSError("interface \(name): type \"\(t)\" is not supported by tapestry-ovs-vsctl (use \"\", system, internal or patch)")
                    }
                } else if wanted != p.interfaceType {
                    throw OVSError("interface \(name): cannot change type \"\(p.interfaceType)\" to \"\(t)\" (delete and add the port)")
                }
                p.interfaceType = wanted
            case "external_ids": p.externalIDs = d.stringMap
            case "options": p.options = d.stringMap  // checked against the type in portConfig (the type may come later)
            case "ingress_policing_rate": p.ingressPolicingRate = d.keys.first.flatMap { if case .integer(let n) = $0 { n } else { nil } } ?? 0
            case "ingress_policing_burst": p.ingressPolicingBurst = d.keys.first.flatMap { if case .integer(let n) = $0 { n } else { nil } } ?? 0
            default: throw OVSError("cannot modify column \(column.name) in table \(table.rawValue)")
            }
            ports[name] = p
        case .record(let uuid):
            guard var r = records[uuid] else { return }
            switch column.name {
            case "type": r.type = d.keys.first?.text ?? ""
            case "queues":
                var q: [Int: String] = [:]
                for (k, v) in zip(d.keys, d.values ?? []) { if case .integer(let n) = k { q[n] = v.text } }
                r.queues = q
            case "other_config": r.otherConfig = d.stringMap
            case "external_ids": r.externalIDs = d.stringMap
            default: throw OVSError("cannot modify column \(column.name) in table \(table.rawValue)")
            }
            records[uuid] = r
        case .bridge, .root:
            throw OVSError("cannot modify column \(column.name) in table \(table.rawValue)")
        }
    }
}
