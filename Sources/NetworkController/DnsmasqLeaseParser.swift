import TapestryModel
/// One DHCP lease as dnsmasq records it in its lease file.
public struct DnsmasqLease: Hashable, Sendable {
    /// Seconds since the epoch when the lease ends (0: never).
    public var expiry: UInt64
    /// The client's MAC address (IPv4); nil for DHCPv6 leases.
    public var mac: String?
    /// IAID of a DHCPv6 lease.
    public var iaid: String?
    public var address: IPAddress
    /// The client's host name, if it sent one.
    public var hostname: String?
    /// The client id (IPv4) or DUID (IPv6).
    public var clientID: String?

    public init(expiry: UInt64, mac: String?, iaid: String?, address: IPAddress, hostname: String?, clientID: String?) {
        self.expiry = expiry; self.mac = mac; self.iaid = iaid; self.address = address
        self.hostname = hostname; self.clientID = clientID
    }
}

/// Reads dnsmasq's lease file (`dhcp-leasefile=`): for IPv4, lines `EXPIRY MAC IP NAME CLIENTID`;
/// a line `duid SERVERDUID` then starts the IPv6 leases, `EXPIRY IAID IP NAME DUID`. `*` means
/// absent. Lines that do not parse are skipped. Pure.
public enum DnsmasqLeaseParser {
    public static func parse(_ text: String) -> [DnsmasqLease] {
        var leases: [DnsmasqLease] = []
        var inIPv6 = false
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if f.first == "duid" { inIPv6 = true; continue }
            guard f.count >= 4, let expiry = UInt64(f[0]), let address = IPAddress(f[2]) else { continue }
            let name = f[3] == "*" ? nil : f[3]
            let client = f.count >= 5 && f[4] != "*" ? f[4] : nil
            if inIPv6 || address.family == .ipv6 {
                leases.append(DnsmasqLease(expiry: expiry, mac: nil, iaid: f[1], address: address, hostname: name, clientID: client))
            } else {
                leases.append(DnsmasqLease(expiry: expiry, mac: f[1].lowercased(), iaid: nil, address: address, hostname: name, clientID: client))
            }
        }
        return leases
    }
}
