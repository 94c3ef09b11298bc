/// A row of Open vSwitch's `QoS` or `Queue` table, kept for the ovs-vsctl front end
/// (`tapestry-ovs-vsctl`): libvirt creates them for `<bandwidth>` and finds them again by their
/// external ids. Stored and reported; the rates of a port's QoS row become its `PortPolicy`.
public struct OVSRecord: Codable, Sendable, Equatable {
    /// The Open vSwitch table the row belongs to.
    public enum Table: String, Codable, Sendable, CaseIterable {
        case qos = "QoS"
        case queue = "Queue"
    }

    public var table: Table
    /// The row's UUID (lower-case, 8-4-4-4-12 hex digits).
    public var uuid: String
    /// QoS only: the `type` column (e.g. `linux-htb`).
    public var type: String?
    public var otherConfig: [String: String]
    /// QoS only: queue number → Queue row UUID.
    public var queues: [String: String]
    public var externalIDs: [String: String]

    public init(table: Table, uuid: String, type: String? = nil, otherConfig: [String: String] = [:],
                queues: [String: String] = [:], externalIDs: [String: String] = [:]) {
        self.table = table; self.uuid = uuid; self.type = type; self.otherConfig = otherConfig
        self.queues = queues; self.externalIDs = externalIDs
    }

    /// Whether `s` is a UUID in the canonical text form.
    public static func isUUID(_ s: String) -> Bool {
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return s.allSatisfy { $0 == "-" || $0.isHexDigit }
    }

    /// Checks the row on its own (references are checked by `DesiredState.validate`).
    public func validate() throws(ModelError) {
        let what = "\(table.rawValue) record \(uuid)"
        guard OVSRecord.isUUID(uuid) else { throw ModelError("\(what): not a UUID") }
        try OVSColumns.validateMap(otherConfig, what: "\(what): other_config")
        try OVSColumns.validateMap(externalIDs, what: "\(what): external_ids")
        if table == .queue {
            guard type == nil, queues.isEmpty else { throw ModelError("\(what): a Queue has no type or queues") }
        }
        if let type { try OVSColumns.validateText(type, what: "\(what): type") }
        for (k, v) in queues {
            guard let n = UInt32(k) else { throw ModelError("\(what): queue number \(k) is not 0-4294967295") }
            _ = n
            guard OVSRecord.isUUID(v) else { throw ModelError("\(what): queue \(k) is not a UUID") }
        }
    }
}

/// Open vSwitch columns of a port that Tapestry keeps for the ovs-vsctl front end: the Port
/// table's external ids and QoS reference, and the Interface table's ingress policing (kept as
/// written; tapestry-ovs-vsctl also turns the rates into the port's `PortPolicy`).
public struct OVSColumns: Codable, Sendable, Equatable {
    /// The Port row's `external_ids` (the Interface row's are `PortConfig.externalIDs`).
    public var portExternalIDs: [String: String]
    /// The Port row's `qos`: the UUID of a QoS record.
    public var qos: String?
    /// `ingress_policing_rate` in kbit/s (0: none).
    public var ingressPolicingRate: Int
    /// `ingress_policing_burst` in kbit (0: the default).
    public var ingressPolicingBurst: Int

    public init(portExternalIDs: [String: String] = [:], qos: String? = nil, ingressPolicingRate: Int = 0,
                ingressPolicingBurst: Int = 0) {
        self.portExternalIDs = portExternalIDs; self.qos = qos
        self.ingressPolicingRate = ingressPolicingRate; self.ingressPolicingBurst = ingressPolicingBurst
    }

    /// Nothing set: the port needs no OVS columns at all.
    public var isEmpty: Bool { self == OVSColumns() }

    public func validate(port: String) throws(ModelError) {
        try OVSColumns.validateMap(portExternalIDs, what: "port \(port): external_ids")
        if let qos, !OVSRecord.isUUID(qos) { throw ModelError("port \(port): qos \(qos) is not a UUID") }
        guard ingressPolicingRate >= 0, ingressPolicingRate <= Int(UInt32.max) else {
            throw ModelError("port \(port): ingress_policing_rate \(ingressPolicingRate) out of range 0-4294967295")
        }
        guard ingressPolicingBurst >= 0, ingressPolicingBurst <= Int(UInt32.max) else {
            throw ModelError("port \(port): ingress_policing_burst \(ingressPolicingBurst) out of range 0-4294967295")
        }
    }

    /// A string → string map of at most 64 printable entries (keys ≤ 256, values ≤ 1024 bytes).
    public static func validateMap(_ map: [String: String], what: String) throws(ModelError) {
        guard map.count <= 64 else { throw ModelError("\(what): more than 64 entries") }
        for (k, v) in map {
            guard !k.isEmpty, k.utf8.count <= 256 else { throw ModelError("\(what): key '\(k.prefix(40))' must be 1-256 bytes") }
            try validateText(k, what: what)
            guard v.utf8.count <= 1024 else { throw ModelError("\(what): value of \(k) longer than 1024 bytes") }
            try validateText(v, what: "\(what): \(k)")
        }
    }

    /// No control characters.
    public static func validateText(_ s: String, what: String) throws(ModelError) {
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ModelError("\(what): control characters are not allowed")
        }
    }
}
