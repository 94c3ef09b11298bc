import Testing
import TapestryModel
@testable import NetworkController

/// The reconcile diff of a running network: each change of the definition becomes exactly the
/// host steps it needs, and nothing else.
@Suite("Network reconcile plan")
struct NetworkPlanTests {
    static let context = DnsmasqRenderContext.tapestry(network: "lab", stateDirectory: "/var/lib/tapestry/networks/lab",
                                                       pidFile: "/var/lib/tapestry/networks/lab/dnsmasq.pid")

    static func xml(forward: String = "<forward mode='nat'/>", address: String = "192.168.50.1", hosts: String = "",
                    routes: String = "", ipv6: String = "") -> String {
        """
        <network>
          <name>lab</name>
          <uuid>0d3bd9b0-3c6a-4a33-9d4a-5a5f3a0f7e10</uuid>
          \(forward)
          <bridge name='tpbr0'/>
          <mac address='52:54:00:aa:bb:cc'/>
          <ip address='\(address)' netmask='255.255.255.0'>
            <dhcp>
              <range start='\(address.dropLast())100' end='\(address.dropLast())150'/>
              \(hosts)
            </dhcp>
          </ip>
          \(ipv6)
          \(routes)
        </network>
        """
    }

    static func realization(_ xml: String, radvd: Bool = false) throws -> NetworkRealization {
        NetworkRealization.desired(for: try NetworkXMLParser.parse(xml), dnsmasq: context, radvd: radvd)
    }

    static func plan(_ from: String, _ to: String) throws -> NetworkPlan {
        NetworkPlan(from: try realization(from), to: try realization(to))
    }

    @Test("the same definition plans nothing")
    func unchanged() throws {
        let p = try Self.plan(Self.xml(), Self.xml())
        #expect(p.isEmpty, "\(p.changes)")
        #expect(p.dnsmasq == .keep && p.radvd == .keep && p.loadRuleset == nil)
    }

    @Test("start is the plan from nothing: address, forwarding, rules, dnsmasq")
    func start() throws {
        let want = try Self.realization(Self.xml())
        let p = NetworkPlan(from: NetworkRealization(interface: "tpbr0"), to: want)
        #expect(p.addAddresses == [IPNetwork("192.168.50.1/24")!])
        #expect(p.setIPv6 == false, "IPv6 is switched off on a bridge without IPv6 addresses")
        #expect(p.enableForwardIPv4 && !p.enableForwardIPv6)
        #expect(p.loadRuleset == want.ruleset && p.loadRuleset != nil)
        #expect(p.dnsmasq == .start)
        let stop = NetworkPlan(from: want, to: NetworkRealization(interface: "tpbr0"))
        #expect(stop.removeAddresses == [IPNetwork("192.168.50.1/24")!])
        #expect(stop.dnsmasq == .stop)
        #expect(stop.removeChains == want.chains && !stop.removeChains.isEmpty)
    }

    @Test("a DHCP host added only reloads dnsmasq's hosts (same pid, SIGHUP)")
    func hostAdded() throws {
        let p = try Self.plan(Self.xml(), Self.xml(hosts: "<host mac='52:54:00:00:00:07' name='vm7' ip='192.168.50.7'/>"))
        #expect(p.dnsmasq == .reloadHosts)
        #expect(p.desired.dhcpHosts.contains("52:54:00:00:00:07"))
        #expect(p.addAddresses.isEmpty && p.removeAddresses.isEmpty && p.loadRuleset == nil && p.removeChains.isEmpty)
        #expect(p.changes == ["dnsmasq: reload-hosts"])
    }

    @Test("a changed address swaps just that address, reloads the rules and restarts dnsmasq")
    func addressChanged() throws {
        let p = try Self.plan(Self.xml(), Self.xml(address: "192.168.60.1"))
        #expect(p.removeAddresses == [IPNetwork("192.168.50.1/24")!])
        #expect(p.addAddresses == [IPNetwork("192.168.60.1/24")!])
        #expect(p.loadRuleset?.contains("192.168.60.0/24") == true)
        #expect(p.removeChains.isEmpty, "the same chains are flushed and refilled")
        #expect(p.dnsmasq == .restart, "its listen address and range changed")
        #expect(!p.enableForwardIPv4, "forwarding was already on")
    }

    @Test("nat → route reloads the rules and drops the NAT chain; dnsmasq and addresses stay")
    func forwardModeChanged() throws {
        let p = try Self.plan(Self.xml(), Self.xml(forward: "<forward mode='route'/>"))
        #expect(p.loadRuleset != nil)
        #expect(p.loadRuleset?.contains("masquerade") == false)
        #expect(p.removeChains.map(\.name) == ["nat_tpbr0"])
        #expect(p.addAddresses.isEmpty && p.removeAddresses.isEmpty)
        #expect(p.dnsmasq == .keep)
        let open = try Self.plan(Self.xml(forward: "<forward mode='route'/>"), Self.xml(forward: "<forward mode='open'/>"))
        #expect(open.loadRuleset == nil, "open has no rules")
        #expect(Set(open.removeChains.map(\.name)) == ["fwd_tpbr0", "mangle_tpbr0"])
        #expect(open.desired.ruleset == nil)
    }

    @Test("a route added, changed and removed")
    func routes() throws {
        let route = "<route address='10.9.0.0' prefix='24' gateway='192.168.50.2'/>"
        let added = try Self.plan(Self.xml(), Self.xml(routes: route))
        let r = IPRoute(destination: IPNetwork("10.9.0.0/24")!, gateway: IPAddress("192.168.50.2")!)
        #expect(added.addRoutes == [r])
        #expect(added.removeRoutes.isEmpty && added.dnsmasq == .keep && added.loadRuleset == nil)
        #expect(added.changes == ["+ route 10.9.0.0/24 via 192.168.50.2"])
        let removed = try Self.plan(Self.xml(routes: route), Self.xml())
        #expect(removed.removeRoutes == [r] && removed.addRoutes.isEmpty)
        let metric = try Self.plan(Self.xml(routes: route), Self.xml(routes: "<route address='10.9.0.0' prefix='24' gateway='192.168.50.2' metric='5'/>"))
        #expect(metric.removeRoutes == [r])
        #expect(metric.addRoutes == [IPRoute(destination: r.destination, gateway: r.gateway, metric: 5)])
    }

    @Test("IPv6 added: the address, IPv6 on, forwarding, radvd started")
    func ipv6Added() throws {
        let v6 = "<ip family='ipv6' address='fd00:50::1' prefix='64'/>"
        let p = NetworkPlan(from: try Self.realization(Self.xml(), radvd: true), to: try Self.realization(Self.xml(ipv6: v6), radvd: true))
        #expect(p.addAddresses == [IPNetwork("fd00:50::1/64")!])
        #expect(p.setIPv6 == true)
        #expect(p.enableForwardIPv6)
        #expect(p.radvd == .start)
        #expect(p.removeAddresses.isEmpty)
    }
}
