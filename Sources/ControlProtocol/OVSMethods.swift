import TapestryModel

extension Methods {
    /// The QoS and Queue rows of the ovs-vsctl front end (`tapestry-ovs-vsctl`): added, replaced or removed.
    public enum OVSRecords: RPCMethod {
        public typealias Params = OVSRecordsParams
        public typealias Result = Empty
        public static let name = "ovs-records"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
}

/// `ovs-records`: rows to add or replace (by UUID) and UUIDs of rows to remove.
public struct OVSRecordsParams: Codable, Sendable {
    public var upsert: [OVSRecord]
    public var delete: [String]
    public init(upsert: [OVSRecord] = [], delete: [String] = []) { self.upsert = upsert; self.delete = delete }
}

extension Methods {
    /// Transactional methods that no `tapestry` verb sends (only tapestry-ovs-vsctl does).
    public static let compatibilityOnlyNames: Set<String> = [OVSRecords.name]
}
