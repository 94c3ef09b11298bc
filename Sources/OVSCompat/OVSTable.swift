// The OVSDB schema subset Tapestry maps.
import Foundation

/// The part of Open vSwitch's database schema that Tapestry maps: tables, their columns and types,
/// and which columns may be changed. Names match as ovs-vsctl matches them: case-insensitively,
/// `-` equal to `_`, and a unique prefix is enough.
public enum OVSTable: String, Sendable, CaseIterable {
    case bridge = "Bridge"
    case port = "Port"
    case interface = "Interface"
    case qos = "QoS"
    case queue = "Queue"
    case openVSwitch = "Open_vSwitch"

    /// One column: its name, type and whether commands may write it.
    public struct Column: Sendable {
        public let name: String
        public let type: OVSColumnType
        public let writable: Bool
    }

    public var columns: [Column] {
        let uuid = Column(name: "_uuid", type: .scalar(.uuid(refTable: nil)), writable: false)
        let str = OVSAtomType.string(enumeration: nil)
        switch self {
        case .bridge:
            return [uuid, Column(name: "name", type: .scalar(str), writable: false),
                    Column(name: "ports", type: .set(.uuid(refTable: "Port")), writable: false),
                    Column(name: "datapath_type", type: .scalar(str), writable: false),
                    Column(name: "fail_mode", type: .optional(.string(enumeration: ["secure", "standalone"])), writable: false),
                    Column(name: "stp_enable", type: .scalar(.boolean), writable: false),
                    Column(name: "rstp_enable", type: .scalar(.boolean), writable: false),
                    Column(name: "external_ids", type: .stringMap, writable: false),
                    Column(name: "other_config", type: .stringMap, writable: false)]
        case .port:
            return [uuid, Column(name: "name", type: .scalar(str), writable: false),
                    Column(name: "interfaces", type: .set(.uuid(refTable: "Interface")), writable: false),
                    Column(name: "tag", type: .optional(.integer(0...4095)), writable: true),
                    Column(name: "trunks", type: .set(.integer(0...4095), max: 4096), writable: true),
                    Column(name: "vlan_mode", type: .optional(.string(enumeration: ["access", "native-tagged", "native-untagged", "trunk"])), writable: true),
                    Column(name: "qos", type: .optional(.uuid(refTable: "QoS")), writable: true),
                    Column(name: "external_ids", type: .stringMap, writable: true),
                    Column(name: "other_config", type: .stringMap, writable: false)]
        case .interface:
            return [uuid, Column(name: "name", type: .scalar(str), writable: false),
                    Column(name: "type", type: .scalar(.string(enumeration: nil)), writable: true),
                    Column(name: "external_ids", type: .stringMap, writable: true),
                    Column(name: "ingress_policing_rate", type: .scalar(.integer(0...Int(UInt32.max))), writable: true),
                    Column(name: "ingress_policing_burst", type: .scalar(.integer(0...Int(UInt32.max))), writable: true),
                    Column(name: "options", type: .stringMap, writable: true),
                    Column(name: "other_config", type: .stringMap, writable: false),
                    Column(name: "mac_in_use", type: .optional(str), writable: false),
                    Column(name: "ifindex", type: .optional(.integer(nil)), writable: false),
                    Column(name: "ofport", type: .optional(.integer(nil)), writable: false),
                    Column(name: "admin_state", type: .optional(.string(enumeration: ["down", "up"])), writable: false),
                    Column(name: "link_state", type: .optional(.string(enumeration: ["down", "up"])), writable: false),
                    Column(name: "mtu", type: .optional(.integer(nil)), writable: false),
                    Column(name: "error", type: .optional(str), writable: false),
                    Column(name: "statistics", type: .map(str, .integer(nil)), writable: false)]
        case .qos:
            return [uuid, Column(name: "type", type: .scalar(str), writable: true),
                    Column(name: "queues", type: .map(.integer(0...Int(UInt32.max)), .uuid(refTable: "Queue")), writable: true),
                    Column(name: "other_config", type: .stringMap, writable: true),
                    Column(name: "external_ids", type: .stringMap, writable: true)]
        case .queue:
            return [uuid, Column(name: "dscp", type: .optional(.integer(0...63)), writable: false),
                    Column(name: "other_config", type: .stringMap, writable: true),
                    Column(name: "external_ids", type: .stringMap, writable: true)]
        case .openVSwitch:
            return [uuid, Column(name: "bridges", type: .set(.uuid(refTable: "Bridge")), writable: false),
                    Column(name: "ovs_version", type: .optional(str), writable: false),
                    Column(name: "external_ids", type: .stringMap, writable: false)]
        }
    }

    /// The table named `name` (case-insensitive, unique prefix).
    public static func named(_ name: String) throws(OVSError) -> OVSTable {
        let matches = OVSTable.allCases.filter { OVSTable.matches($0.rawValue, name) }
        if let exact = matches.first(where: { $0.rawValue.lowercased() == name.lowercased() }) { return exact }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw OVSError("unknown table \"\(name)\"") }
        throw OVSError("multiple table names match \"\(name)\"")
    }

    /// The column named `name` (case-insensitive, `-` for `_`, unique prefix).
    public func column(_ name: String) throws(OVSError) -> Column {
        let matches = columns.filter { OVSTable.matches($0.name, name) }
        if let exact = matches.first(where: { OVSTable.normalized($0.name) == OVSTable.normalized(name) }) { return exact }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw OVSError("\(rawValue) does not contain a column whose name matches \"\(name)\"") }
        throw OVSError("\(rawValue) contains more than one column whose name matches \"\(name)\"")
    }

    static func normalized(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "-", with: "_") }

    static func matches(_ full: String, _ given: String) -> Bool {
        !given.isEmpty && normalized(full).hasPrefix(normalized(given))
    }
}
