import ClusterModel
import TapestryModel
import Testing

/// ARP suppression's pure cluster parts: snooped addresses ride on the MAC records a host
/// publishes (and go with them), and a host answers for the other hosts' addresses only.
struct ClusterARPTests {
    typealias M = ClusterModelTests
    let vlan1 = VLANID(1)!

    @Test func snoopedAddressesArePublishedWithTheirMACAndWithdrawnWithIt() throws {
        var v = M.view(try M.fabric())
        let mac = MACAddress("02:aa:00:00:00:03")!
        let learned = [LocalMAC(bridge: "br0", port: "vm3", vlan: vlan1, mac: mac)]
        let ips = [LocalIP(bridge: "br0", vlan: vlan1, mac: mac, ip: IPAddress("10.9.0.3")!),
                   LocalIP(bridge: "br0", vlan: vlan1, mac: mac, ip: IPAddress("10.9.0.2")!),
                   // A MAC not published (not learned on a local port): its address goes nowhere.
                   LocalIP(bridge: "br0", vlan: vlan1, mac: MACAddress("02:cc:00:00:00:01")!, ip: IPAddress("10.9.0.9")!)]
        let key = ClusterMACKey(segment: "blue", vlan: vlan1, mac: mac)
        let wanted = ClusterMACPublisher.wanted(host: "h3", view: v, learned: learned, ips: ips)
        #expect(wanted[key]?.ips == [IPv4Address("10.9.0.2")!, IPv4Address("10.9.0.3")!])
        #expect(!wanted.values.contains { $0.ips.contains(IPv4Address("10.9.0.9")!) })
        // IPv6 addresses go into ip6s (absent from the JSON when there are none).
        let v6 = ClusterMACPublisher.wanted(host: "h3", view: v, learned: learned,
                                            ips: [LocalIP(bridge: "br0", vlan: vlan1, mac: mac, ip: IPAddress("fd09::3")!)])
        #expect(v6[key]?.ip6s == [IPAddress("fd09::3")!] && v6[key]?.ips == [])
        let json = String(decoding: ClusterCodec.encode(try #require(wanted[key])), as: UTF8.self)
        #expect(!json.contains("ip6s"), "\(json)")
        let first = ClusterMACPublisher.diff(host: "h3", wanted: wanted, view: v)
        for (k, r) in first.put { v.apply(key: M.keys.mac(segment: k.segment, vlan: k.vlan, mac: k.mac), value: ClusterCodec.encode(r)) }
        #expect(v.macs[key]?.ips.count == 2)
        // A new address is a changed record (put again); the MAC aging out withdraws the record and its addresses.
        let more = ClusterMACPublisher.wanted(host: "h3", view: v, learned: learned,
                                              ips: ips + [LocalIP(bridge: "br0", vlan: vlan1, mac: mac, ip: IPAddress("10.9.0.4")!)])
        #expect(ClusterMACPublisher.diff(host: "h3", wanted: more, view: v).put.map(\.0) == [key])
        let gone = ClusterMACPublisher.diff(host: "h3", wanted: ClusterMACPublisher.wanted(host: "h3", view: v, learned: [], ips: ips), view: v)
        #expect(gone.delete == [key])
    }

    @Test func hostsAnswerForTheOthersAddressesNotTheirOwnNorAmbiguousOnes() throws {
        var v = M.view(try M.fabric())
        func publish(_ host: String, _ vtep: String, _ mac: String, _ ips: [String]) {
            let m = MACAddress(mac)!
            v.apply(key: M.keys.mac(segment: "blue", vlan: vlan1, mac: m),
                    value: ClusterCodec.encode(ClusterMACRecord(host: host, vtep: IPAddress(vtep)!, ips: ips.map { IPv4Address($0)! })))
        }
        publish("h2", "10.0.0.12", "02:00:00:00:00:02", ["10.9.0.2"])
        publish("h3", "10.0.0.13", "02:00:00:00:00:03", ["10.9.0.3", "10.9.0.33"])
        publish("h1", "10.0.0.11", "02:00:00:00:00:01", ["10.9.0.1"])
        v.apply(key: M.keys.mac(segment: "blue", vlan: vlan1, mac: MACAddress("02:00:00:00:00:06")!),
                value: ClusterCodec.encode(ClusterMACRecord(host: "h2", vtep: IPAddress("10.0.0.12")!, ip6s: [IPAddress("fd09::6")!])))
        // Two MACs claim 10.9.0.33: not answered (flooded).
        publish("h2", "10.0.0.12", "02:00:00:00:00:22", ["10.9.0.33"])
        let (state, _) = ClusterConvergence.desired(current: DesiredState(), host: "h1", view: v, managed: [], arpSuppress: true)
        let br0 = try #require(state.bridge(named: "br0"))
        let bindings = try #require(br0.arpSuppression).bindings.map { "\($0.vlan) \($0.ip) \($0.mac)" }
        #expect(bindings == ["1 10.9.0.2 02:00:00:00:00:02", "1 10.9.0.3 02:00:00:00:00:03"])
        #expect(br0.arpSuppression?.neighbors.map { "\($0.vlan) \($0.ip) \($0.mac)" } == ["1 fd09::6 02:00:00:00:00:06"])
        try state.validate()
        // Without the flag: no suppression at all.
        let (off, _) = ClusterConvergence.desired(current: DesiredState(), host: "h1", view: v, managed: [])
        #expect(off.bridge(named: "br0")?.arpSuppression == nil)
    }
}
