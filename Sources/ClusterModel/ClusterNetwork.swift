import NetworkController
import TapestryModel

/// A libvirt-style network (NAT, routed, isolated, open or bridge mode) in a host's part of the
/// fabric: its `<network>` XML as the topology file gives it (inline settings or an XML file,
/// written out by `NetworkXMLWriter`; the host fills in uuid, MAC and a free bridge name when it
/// defines it), whether it starts with the daemon, and the ports on its bridge (`add-port --network`).
/// The host realizes it through its own network service (`net-define` + `net-start`), so the
/// network runs from `config.json` after a restart without etcd as a locally defined one would.
public struct ClusterNetwork: Codable, Sendable, Equatable {
    public var name: String
    public var xml: String
    public var autostart: Bool
    public var ports: [PortConfig]

    public init(name: String, xml: String, autostart: Bool = false, ports: [PortConfig] = []) {
        self.name = name; self.xml = xml; self.autostart = autostart; self.ports = ports
    }

    /// Checks the record as read from etcd: the XML parses and names this network, the ports are valid.
    public func validate(key: String) throws(ClusterError) {
        let def: NetworkDefinition
        do { def = try NetworkXMLParser.parse(xml) } catch { throw ClusterError("\(key): network \(name): \(error)") }
        guard def.name == name else { throw ClusterError("\(key): network \(name): the XML defines network '\(def.name)'") }
        var names = Set<String>()
        for p in ports {
            do { try p.validate() } catch { throw ClusterError("\(key): network \(name): port \(p.name): \(error)") }
            guard names.insert(p.name).inserted else { throw ClusterError("\(key): network \(name): port \(p.name) is given twice") }
        }
    }

    /// The bridge the XML names, if it names one.
    public var bridgeName: String? { (try? NetworkXMLParser.parse(xml))?.bridge.name }
}
