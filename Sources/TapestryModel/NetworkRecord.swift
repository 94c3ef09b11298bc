/// A libvirt-style virtual network as stored in the desired state: its libvirt `<network>` XML
/// (already validated and with uuid, bridge name and MAC filled in), whether it is persistent
/// (`net-define`) or transient (`net-create`), whether it starts with the daemon, and whether it
/// is running. The XML is the source of truth; `name`, `uuid` and `bridge` are copies for lookups.
public struct NetworkRecord: Codable, Sendable, Equatable {
    public var name: String
    public var uuid: String
    /// The bridge the network's own Tapestry bridge (and its internal port) is named after.
    public var bridge: String?
    /// The persistent definition (`net-dumpxml --inactive`); for a transient network, its definition.
    public var xml: String
    /// The running definition when the network is active (`net-dumpxml`); may differ from `xml`
    /// after `net-update --live` or a `net-define` while running.
    public var liveXML: String?
    /// Defined with `net-define` (kept when stopped) rather than `net-create` (gone when stopped).
    public var persistent: Bool
    /// Started when tapestryd starts.
    public var autostart: Bool
    /// Running: its bridge, addresses, firewall rules and dnsmasq/radvd are in place.
    public var active: Bool

    public init(name: String, uuid: String, bridge: String?, xml: String, liveXML: String? = nil,
                persistent: Bool, autostart: Bool = false, active: Bool = false) {
        self.name = name; self.uuid = uuid; self.bridge = bridge; self.xml = xml; self.liveXML = liveXML
        self.persistent = persistent; self.autostart = autostart; self.active = active
    }

    /// The definition in effect: the live one when running, else the persistent one.
    public var currentXML: String { active ? (liveXML ?? xml) : xml }

    /// Checks one record: a usable name, a uuid in text form, a valid bridge name, consistent flags.
    public func validate() throws(ModelError) {
        if name.isEmpty || name == "." || name == ".." || name.utf8.count > 255 || name.contains("/") || name.contains("\n") {
            throw ModelError("invalid network name '\(name)': must be 1-255 bytes without '/' or newlines")
        }
        let hex = uuid.filter { $0 != "-" }
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else {
            throw ModelError("network \(name): invalid uuid '\(uuid)'")
        }
        if let bridge { try InterfaceName.validate(bridge, what: "bridge name of network \(name)") }
        if !persistent && !active { throw ModelError("network \(name): a transient network must be active") }
        if !active && liveXML != nil { throw ModelError("network \(name): an inactive network has no live definition") }
    }
}

extension DesiredState {
    public func network(named name: String) -> NetworkRecord? { networks.first { $0.name == name } }

    /// The network whose bridge is `bridge`.
    public func network(onBridge bridge: String) -> NetworkRecord? { networks.first { $0.bridge == bridge } }

    /// Checks every network and that names, uuids and bridge names are unique among them.
    public func validateNetworks() throws(ModelError) {
        var names = Set<String>(), uuids = Set<String>(), bridgeNames = Set<String>()
        for n in networks {
            try n.validate()
            guard names.insert(n.name).inserted else { throw ModelError("duplicate network \(n.name)") }
            guard uuids.insert(n.uuid.lowercased()).inserted else { throw ModelError("network \(n.name): duplicate uuid \(n.uuid)") }
            if let b = n.bridge, !bridgeNames.insert(b).inserted {
                throw ModelError("network \(n.name): bridge \(b) is used by another network")
            }
        }
    }
}
