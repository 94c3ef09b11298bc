import TapestryModel

/// What a port added to a network (`add-port --network NAME [--portgroup PG]`) takes from the
/// network's XML, as libvirt gives it to a domain's `<interface type='network'>`: `<port
/// isolated='yes'/>`, the VLAN of the chosen `<portgroup>` (else of the default one, else the
/// network's own `<vlan>`) and the same portgroup's (else the network's) `<bandwidth>`.
/// VLANs are taken only from networks of `<forward mode='bridge'>` (libvirt allows them only there;
/// a NAT or routed network's gateway port is untagged).
public struct NetworkPortSettings: Equatable, Sendable {
    /// `<port isolated='yes'/>`: the port exchanges frames with non-isolated ports only.
    public var isolated: Bool = false
    /// The VLAN role, nil when the XML names none.
    public var vlan: PortVLAN?
    /// The `<bandwidth>` that applies, nil when none.
    public var bandwidth: XMLElementNode?

    /// Creates empty settings.
    public init() {}

    /// The settings of a port of `network` in `portGroup` (nil: the default portgroup, if any).
    /// Throws when the portgroup does not exist or a `<vlan>` is not one Tapestry can hold.
    public static func settings(for network: NetworkDefinition, portGroup: String?) throws(NetworkXMLError) -> NetworkPortSettings {
        var s = NetworkPortSettings()
        s.isolated = network.portIsolated == true
        let group: PortGroup?
        if let portGroup {
            guard let g = network.portGroups.first(where: { $0.name == portGroup }) else {
                let names = network.portGroups.map(\.name)
                throw NetworkXMLError(message: "network \(network.name) has no portgroup '\(portGroup)'"
                    + (names.isEmpty ? " (it has none)" : " (it has \(names.joined(separator: ", ")))"))
            }
            group = g
        } else {
            group = network.portGroups.first(where: \.isDefault)
        }
        if network.forward.mode == .bridge {
            if let e = group?.element.element(named: "vlan") {
                s.vlan = try PortVLAN.parse(e, at: "<portgroup name='\(group?.name ?? "")'><vlan>")
            } else if let e = network.vlan {
                s.vlan = try PortVLAN.parse(e, at: "<vlan>")
            }
        }
        s.bandwidth = group?.element.element(named: "bandwidth") ?? network.bandwidth
        return s
    }

    /// Checks every `<vlan>` of `network` (its own and its portgroups') without choosing one.
    public static func validate(_ network: NetworkDefinition) throws(NetworkXMLError) {
        if let e = network.vlan { _ = try PortVLAN.parse(e, at: "<vlan>") }
        for g in network.portGroups {
            if let e = g.element.element(named: "vlan") { _ = try PortVLAN.parse(e, at: "<portgroup name='\(g.name)'><vlan>") }
        }
    }
}

/// A libvirt `<vlan>` as a port's 802.1Q role: one `<tag id>` is an access port; `trunk='yes'` or
/// several tags a trunk of those VLANs, whose `nativeMode='untagged|tagged'` tag is the native VLAN.
public struct PortVLAN: Equatable, Sendable {
    /// Access VLAN.
    public var access: VLANID?
    /// A trunk's VLANs (the native one included).
    public var trunk: VLANSet?
    /// A trunk's native VLAN and how it is sent.
    public var native: VLANID?
    /// Untagged or tagged native VLAN.
    public var nativeMode: NativeMode?

    /// Parses `e` (a `<vlan>` element); `at` names it in errors. Rules as libvirt's: several tags
    /// need `trunk='yes'` (or no attribute), one native tag at most, a native tag only on a trunk.
    public static func parse(_ e: XMLElementNode, at: String) throws(NetworkXMLError) -> PortVLAN {
        var ids: [VLANID] = []
        var native: (VLANID, NativeMode)? = nil
        for tag in e.elements(named: "tag") {
            guard let text = tag.attribute("id") else { throw NetworkXMLError.invalid(at, "<tag> without id") }
            guard let n = Int(text), let vid = VLANID(n) else {
                throw NetworkXMLError.invalid(at, "<tag id='\(text)'>: Tapestry takes VLAN ids 1-4094")
            }
            if let m = tag.attribute("nativeMode") {
                guard let mode = NativeMode(rawValue: m) else {
                    throw NetworkXMLError.invalid(at, "<tag nativeMode='\(m)'>: expected 'tagged' or 'untagged'")
                }
                guard native == nil else { throw NetworkXMLError.invalid(at, "more than one tag has nativeMode") }
                native = (vid, mode)
            }
            ids.append(vid)
        }
        guard !ids.isEmpty else { throw NetworkXMLError.invalid(at, "no <tag id=…> in <vlan>") }
        let trunkAttribute = e.attribute("trunk")
        let isTrunk: Bool
        switch trunkAttribute {
        case nil: isTrunk = ids.count > 1 || native != nil
        case "yes": isTrunk = true
        case "no":
            if ids.count > 1 { throw NetworkXMLError.invalid(at, "trunk='yes' is required for more than one VLAN tag") }
            if native != nil { throw NetworkXMLError.invalid(at, "nativeMode cannot be given with trunk='no'") }
            isTrunk = false
        case let other?: throw NetworkXMLError.invalid(at, "trunk='\(other)': expected 'yes' or 'no'")
        }
        guard isTrunk else { return PortVLAN(access: ids[0]) }
        return PortVLAN(trunk: VLANSet(ids), native: native?.0, nativeMode: native?.1)
    }

    /// Creates a VLAN role.
    public init(access: VLANID? = nil, trunk: VLANSet? = nil, native: VLANID? = nil, nativeMode: NativeMode? = nil) {
        self.access = access; self.trunk = trunk; self.native = native; self.nativeMode = nativeMode
    }

    /// `port` with this VLAN role (replacing its VLAN settings).
    public func applied(to port: PortConfig) -> PortConfig {
        var p = port
        p.vlan = access; p.trunk = trunk; p.native = native; p.nativeMode = nativeMode
        return p
    }
}

extension NetworkDefinition {
    /// The existing bridge a network of `<forward mode='bridge'>` attaches to (nil for other modes,
    /// which make a bridge of their own, and for libvirt's macvtap form without a bridge name).
    public var attachedBridge: String? { forward.mode == .bridge ? bridge.name : nil }
}
