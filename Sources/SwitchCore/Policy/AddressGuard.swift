/// Port security for one port: which source MACs and IP addresses the port's VM may use, and
/// whether it may answer as a DHCP server or send router advertisements.
///
/// Rules (`tapestry set-port … --allowed-address MAC[,IP…] --trusted`):
/// - With any allowed address set, a frame whose source MAC is not listed is `spoofedMAC`.
/// - An entry that lists IPs locks that MAC's IP sources: ARP whose sender MAC or IP is not
///   allowed is `spoofedARP` (sender 0.0.0.0, an ARP probe, passes); IPv4 from another source
///   is `spoofedIP` (0.0.0.0, a DHCP client, passes); IPv6 from another source is `spoofedIP`
///   (the unspecified address and the MAC's EUI-64 link-local address pass); a neighbour
///   advertisement for another target is `spoofedARP`. An entry with no IPs locks the MAC only.
/// - Unless the port is trusted, DHCP server messages are `rogueDHCP` and router
///   advertisements/redirects are `rogueRA`, with or without allowed addresses.
public struct AddressGuard: Sendable, Equatable {
    /// One allowed source: a MAC and, optionally, the IP addresses it may use.
    public struct Entry: Sendable, Equatable {
        public var mac: UInt64
        public var ipv4: [UInt32]
        public var ipv6: [IPv6Bits]

        public init(mac: UInt64, ipv4: [UInt32] = [], ipv6: [IPv6Bits] = []) {
            self.mac = mac; self.ipv4 = ipv4; self.ipv6 = ipv6 + (ipv4.isEmpty && ipv6.isEmpty ? [] : [IPv6Bits.linkLocal(for: mac)])
        }

        /// Whether this entry restricts IP sources (it lists at least one IP).
        public var locksIP: Bool { !ipv4.isEmpty || !ipv6.isEmpty }
    }

    public var entries: [Entry]
    /// A trusted port may send DHCP server messages and router advertisements.
    public var trusted: Bool

    public init(entries: [Entry] = [], trusted: Bool = false) {
        self.entries = entries; self.trusted = trusted
    }

    /// Nothing to check: no allowed addresses and a trusted port.
    public var isInactive: Bool { entries.isEmpty && trusted }

    /// Why a frame from source `source` with payload facts `payload` must be dropped, or nil.
    @inline(__always)
    public func check(source: UInt64, payload: FramePayload) -> DropReason? {
        if !trusted {
            if payload.isDHCPServerMessage { return .rogueDHCP }
            if payload.isRouterAdvertisement { return .rogueRA }
        }
        guard !entries.isEmpty else { return nil }
        guard let entry = entries.first(where: { $0.mac == source }) else { return .spoofedMAC }
        switch payload.kind {
        case .arp:
            guard payload.arpSenderMAC == source else { return .spoofedARP }
            guard entry.locksIP, payload.arpSenderIP != 0 else { return nil }
            return entry.ipv4.contains(payload.arpSenderIP) ? nil : .spoofedARP
        case .ipv4:
            guard entry.locksIP, payload.ipv4Source != 0 else { return nil }
            return entry.ipv4.contains(payload.ipv4Source) ? nil : .spoofedIP
        case .ipv6:
            guard entry.locksIP else { return nil }
            if payload.ipv6Source != .zero && !entry.ipv6.contains(payload.ipv6Source) { return .spoofedIP }
            if payload.icmp6Type == 136 && payload.ipProtocol == 58 && !entry.ipv6.contains(payload.ndTarget) { return .spoofedARP }
            return nil
        case .other:
            return nil
        }
    }
}
