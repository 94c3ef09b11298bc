import TapestryModel
/// A libvirt `<network>` definition as Tapestry models it. Parsed by `NetworkXMLParser`,
/// written back by `NetworkXMLWriter`; elements Tapestry does not act on are kept as raw
/// subtrees (`XMLElementNode`) and written back unchanged.
public struct NetworkDefinition: Hashable, Sendable {
    /// The network name (`<name>`).
    public var name: String
    /// The UUID in lowercase RFC 4122 text form; nil until `fillingDefaults` generates one.
    public var uuid: String?
    /// `<title>`, if any.
    public var title: String?
    /// `<description>`, if any.
    public var description: String?
    /// `<network ipv6='yes'>`: guest-to-guest IPv6 without a gateway address.
    public var ipv6WithoutGateway: Bool = false
    /// `<network trustGuestRxFilters=...>`.
    public var trustGuestRxFilters: Bool?
    /// `<metadata>` kept verbatim.
    public var metadata: XMLElementNode?
    /// The forward mode and its details.
    public var forward: Forward = Forward()
    /// `<bridge>` settings.
    public var bridge: Bridge = Bridge()
    /// `<mtu size=...>`.
    public var mtu: UInt32?
    /// `<mac address=...>` of the bridge; nil until `fillingDefaults` generates one.
    public var mac: MACAddress?
    /// `<domain>`.
    public var domain: Domain?
    /// `<dns>`.
    public var dns: DNS = DNS()
    /// `<vlan>` kept verbatim.
    public var vlan: XMLElementNode?
    /// `<bandwidth>` kept verbatim.
    public var bandwidth: XMLElementNode?
    /// `<port isolated=...>`.
    public var portIsolated: Bool?
    /// `<ip>` elements in order.
    public var ips: [IPDefinition] = []
    /// `<route>` elements in order.
    public var routes: [Route] = []
    /// `<virtualport>` kept verbatim.
    public var virtualPort: XMLElementNode?
    /// `<portgroup>` elements.
    public var portGroups: [PortGroup] = []
    /// Elements Tapestry and libvirt do not know, kept verbatim and written back after the portgroups.
    public var unknownElements: [XMLElementNode] = []
    /// `<dnsmasq:options>` values (`xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'`).
    public var dnsmasqOptions: [String] = []

    /// The dnsmasq options namespace URI.
    public static let dnsmasqNamespace = "http://libvirt.org/schemas/network/dnsmasq/1.0"

    /// Creates a definition with only a name.
    public init(name: String) {
        self.name = name
    }

    /// The IPv4 `<ip>` elements.
    public var ipv4: [IPDefinition] { ips.filter { $0.address.family == .ipv4 } }
    /// The IPv6 `<ip>` elements.
    public var ipv6: [IPDefinition] { ips.filter { $0.address.family == .ipv6 } }
}

/// The `<forward mode=...>` values libvirt knows; `.isolated` is an absent `<forward>` (or `mode='none'`).
public enum ForwardMode: String, Hashable, Sendable, CaseIterable {
    case isolated = "none"
    case nat
    case route
    case open
    case bridge
    case `private`
    case vepa
    case passthrough
    case hostdev

    /// Whether the network is a Tapestry bridge with its own addresses (isolated, nat, route, open).
    public var hasOwnBridge: Bool {
        switch self {
        case .isolated, .nat, .route, .open: return true
        default: return false
        }
    }
}

/// `<forward>`: mode, devices and NAT settings.
public struct Forward: Hashable, Sendable {
    /// The mode.
    public var mode: ForwardMode = .isolated
    /// `<interface dev=...>` names; the first is also `<forward dev=...>`.
    public var interfaces: [String] = []
    /// PCI `<address>` entries (hostdev pools).
    public var pciAddresses: [PCIAddress] = []
    /// `<pf dev=...>` (at most one).
    public var pf: String?
    /// `managed='yes'` (hostdev).
    public var managed: Bool = false
    /// `<driver name=...>` (hostdev).
    public var driverName: String?
    /// `<nat>` settings (nat mode).
    public var nat: NAT?

    /// Creates an isolated forward.
    public init(mode: ForwardMode = .isolated) {
        self.mode = mode
    }

    /// The outgoing device (`dev` attribute), when one is named and there is no `<pf>`.
    public var dev: String? { pf == nil ? interfaces.first : nil }
}

/// A PCI device address `<address type='pci' domain bus slot function/>`.
public struct PCIAddress: Hashable, Sendable {
    /// PCI domain.
    public var domain: UInt32
    /// Bus number.
    public var bus: UInt32
    /// Slot number.
    public var slot: UInt32
    /// Function number.
    public var function: UInt32

    /// Creates an address.
    public init(domain: UInt32, bus: UInt32, slot: UInt32, function: UInt32) {
        self.domain = domain
        self.bus = bus
        self.slot = slot
        self.function = function
    }
}

/// `<nat>`: SNAT address range, port range and IPv6 NAT.
public struct NAT: Hashable, Sendable {
    /// `<nat ipv6=...>`.
    public var ipv6: Bool?
    /// `<address start=...>` (IPv4).
    public var addressStart: IPAddress?
    /// `<address end=...>` (IPv4).
    public var addressEnd: IPAddress?
    /// `<port start=...>`.
    public var portStart: UInt16?
    /// `<port end=...>`.
    public var portEnd: UInt16?

    /// Creates empty NAT settings.
    public init() {}
}

/// `<bridge>`: name, STP, forwarding delay, MAC table manager, firewalld zone.
public struct Bridge: Hashable, Sendable {
    /// The bridge device name; nil until `fillingDefaults` picks `virbrN`-style one.
    public var name: String?
    /// firewalld zone.
    public var zone: String?
    /// STP on/off; nil when the attribute is absent (libvirt's default is on).
    public var stp: Bool?
    /// Forwarding delay in seconds; nil when absent (0).
    public var delay: UInt?
    /// `macTableManager` (`kernel` or `libvirt`).
    public var macTableManager: String?

    /// Creates an empty bridge element.
    public init() {}
}

/// `<domain name localOnly>`.
public struct Domain: Hashable, Sendable {
    /// The DNS domain.
    public var name: String
    /// Answer queries for the domain locally only.
    public var localOnly: Bool?

    /// Creates a domain.
    public init(name: String, localOnly: Bool? = nil) {
        self.name = name
        self.localOnly = localOnly
    }
}

/// `<dns>`: enable, forwarding of plain names, forwarders and records.
public struct DNS: Hashable, Sendable {
    /// `enable` (nil = default yes).
    public var enable: Bool?
    /// `forwardPlainNames`.
    public var forwardPlainNames: Bool?
    /// `<forwarder>` entries.
    public var forwarders: [DNSForwarder] = []
    /// `<txt>` records.
    public var txts: [DNSTxt] = []
    /// `<srv>` records.
    public var srvs: [DNSSrv] = []
    /// `<host>` records.
    public var hosts: [DNSHost] = []

    /// Creates an empty DNS section.
    public init() {}

    /// Whether DNS service is wanted (not `enable='no'`).
    public var isEnabled: Bool { enable != false }
}

/// `<forwarder domain addr>`.
public struct DNSForwarder: Hashable, Sendable {
    /// The domain to forward, if limited.
    public var domain: String?
    /// The upstream server.
    public var address: IPAddress?

    /// Creates a forwarder.
    public init(domain: String? = nil, address: IPAddress? = nil) {
        self.domain = domain
        self.address = address
    }
}

/// `<txt name value>`.
public struct DNSTxt: Hashable, Sendable {
    /// Record name.
    public var name: String
    /// Record value.
    public var value: String?

    /// Creates a TXT record.
    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// `<srv service protocol domain target port priority weight>`.
public struct DNSSrv: Hashable, Sendable {
    /// Service name.
    public var service: String?
    /// Protocol (tcp, udp, ...).
    public var `protocol`: String?
    /// Domain.
    public var domain: String?
    /// Target host.
    public var target: String?
    /// Port.
    public var port: UInt32?
    /// Priority.
    public var priority: UInt32?
    /// Weight.
    public var weight: UInt32?

    /// Creates an SRV record.
    public init(service: String? = nil, protocol: String? = nil) {
        self.service = service
        self.protocol = `protocol`
    }
}

/// `<host ip><hostname/>...</host>` in `<dns>`.
public struct DNSHost: Hashable, Sendable {
    /// The address.
    public var ip: IPAddress?
    /// Its names.
    public var hostnames: [String]

    /// Creates a host record.
    public init(ip: IPAddress?, hostnames: [String]) {
        self.ip = ip
        self.hostnames = hostnames
    }
}

/// `<ip>`: an address of the bridge with prefix or netmask, DHCP, TFTP.
public struct IPDefinition: Hashable, Sendable {
    /// `family` as written (`ipv4`, `ipv6`) or nil.
    public var family: String?
    /// The bridge's address in this network.
    public var address: IPAddress
    /// `netmask` (IPv4).
    public var netmask: IPAddress?
    /// `prefix` as written (0 = not given).
    public var prefix: UInt?
    /// `localPtr`.
    public var localPTR: Bool?
    /// `<tftp root>`.
    public var tftpRoot: String?
    /// `<dhcp><range>` entries.
    public var dhcpRanges: [DHCPRange] = []
    /// `<dhcp><host>` entries.
    public var dhcpHosts: [DHCPHost] = []
    /// `<dhcp><bootp file server>`.
    public var bootp: Bootp?

    /// Creates an address entry.
    public init(address: IPAddress) {
        self.address = address
    }

    /// The effective prefix length: `prefix`, else the netmask's, else the classful or /64 default.
    public var effectivePrefix: Int {
        if let p = prefix, p > 0 { return Int(p) }
        if let m = netmask, let p = m.netmaskPrefix { return p }
        if address.family == .ipv6 { return 64 }
        let top = address.ipv4Value >> 24
        if top & 0x80 == 0 { return 8 }
        if top & 0xC0 == 0x80 { return 16 }
        if top & 0xE0 == 0xC0 { return 24 }
        return 32
    }

    /// The network address (`192.168.122.0`).
    public var networkAddress: IPAddress { address.masked(prefix: effectivePrefix) }

    /// Whether this address has DHCP (ranges or hosts).
    public var hasDHCP: Bool { !dhcpRanges.isEmpty || !dhcpHosts.isEmpty }
}

/// A DHCP lease time: `expiry` in `unit`; 0 means infinite.
public struct DHCPLease: Hashable, Sendable {
    /// Lease time units.
    public enum Unit: String, Hashable, Sendable {
        case seconds, minutes, hours
    }

    /// The amount (0 = infinite).
    public var expiry: UInt64
    /// The unit.
    public var unit: Unit

    /// Creates a lease time.
    public init(expiry: UInt64, unit: Unit = .minutes) {
        self.expiry = expiry
        self.unit = unit
    }

    /// dnsmasq's form: `infinite`, `200s`, `10m`, `1h`.
    public var dnsmasqValue: String {
        if expiry == 0 { return "infinite" }
        switch unit {
        case .seconds: return "\(expiry)s"
        case .minutes: return "\(expiry)m"
        case .hours: return "\(expiry)h"
        }
    }
}

/// `<range start end>` with an optional `<lease>`.
public struct DHCPRange: Hashable, Sendable {
    /// First address.
    public var start: IPAddress
    /// Last address.
    public var end: IPAddress
    /// Lease time.
    public var lease: DHCPLease?

    /// Creates a range.
    public init(start: IPAddress, end: IPAddress, lease: DHCPLease? = nil) {
        self.start = start
        self.end = end
        self.lease = lease
    }
}

/// `<host mac id name ip>` with an optional `<lease>`.
public struct DHCPHost: Hashable, Sendable {
    /// MAC address as written.
    public var mac: String?
    /// DHCPv6 client id.
    public var id: String?
    /// Host name.
    public var name: String?
    /// Fixed address.
    public var ip: IPAddress?
    /// Lease time.
    public var lease: DHCPLease?

    /// Creates a host entry.
    public init(mac: String? = nil, id: String? = nil, name: String? = nil, ip: IPAddress? = nil, lease: DHCPLease? = nil) {
        self.mac = mac
        self.id = id
        self.name = name
        self.ip = ip
        self.lease = lease
    }
}

/// `<bootp file server>`.
public struct Bootp: Hashable, Sendable {
    /// Boot file.
    public var file: String
    /// Next server.
    public var server: IPAddress?

    /// Creates a bootp entry.
    public init(file: String, server: IPAddress? = nil) {
        self.file = file
        self.server = server
    }
}

/// `<route family address netmask|prefix gateway metric>`.
public struct Route: Hashable, Sendable {
    /// `family` as written.
    public var family: String?
    /// Destination network.
    public var address: IPAddress
    /// Netmask (IPv4).
    public var netmask: IPAddress?
    /// Prefix length.
    public var prefix: UInt?
    /// Next hop.
    public var gateway: IPAddress
    /// Metric.
    public var metric: UInt?

    /// Creates a route.
    public init(address: IPAddress, gateway: IPAddress) {
        self.address = address
        self.gateway = gateway
    }

    /// The effective prefix length.
    public var effectivePrefix: Int {
        if let p = prefix { return Int(p) }
        if let m = netmask, let p = m.netmaskPrefix { return p }
        return address.family == .ipv4 ? 32 : 128
    }
}

/// `<portgroup name default>`; its content is kept verbatim.
public struct PortGroup: Hashable, Sendable {
    /// The portgroup name.
    public var name: String
    /// Whether it is the default portgroup.
    public var isDefault: Bool
    /// The whole element as parsed.
    public var element: XMLElementNode

    /// Creates a portgroup from its element.
    public init(name: String, isDefault: Bool, element: XMLElementNode) {
        self.name = name
        self.isDefault = isDefault
        self.element = element
    }
}
