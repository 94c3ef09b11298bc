import Testing
@testable import NetworkController

/// The context libvirt's networkxml2conftest uses: no pid file, state dir
/// /var/lib/libvirt/dnsmasq. libvirt writes the hostsfile/addnhosts paths with
/// virBufferEscapeString, so a name with quotes appears as `&quot;` in them.
func libvirtDnsmasqContext(_ name: String) -> DnsmasqRenderContext {
    let escaped = NetworkXMLWriter.escape(name)
    return DnsmasqRenderContext(
        headerLines: [
            "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE",
            "##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:",
            "##    virsh net-edit \(name)",
            "## or other application using the libvirt API.",
            "##",
            "## dnsmasq conf file created by libvirt",
        ],
        hostsFile: "/var/lib/libvirt/dnsmasq/\(escaped).hostsfile",
        addnHostsFile: "/var/lib/libvirt/dnsmasq/\(escaped).addnhosts")
}

/// networkxml2conf: the dnsmasq.conf and hostsfile of every corpus case must equal libvirt's.
/// Cases Tapestry cannot match would be listed in `unsupported` with the reason; there are none.
@Test func dnsmasqConfConformance() throws {
    let unsupported: [String: String] = [:]
    let rows = try Corpus.rows("networkxml2conf-cases.tsv")
    #expect(rows.count >= 25, "corpus case list is unexpectedly short")
    var failures: [String] = []
    var passed = 0
    for row in rows {
        let name = row["name"] ?? "?"
        if let reason = unsupported[name] {
            print("networkxml2conf: \(name) not supported: \(reason)")
            continue
        }
        do {
            let def = try NetworkXMLParser.parse(try Corpus.read("tests/networkxml2confdata/\(row["input"] ?? "")"))
            let conf = DnsmasqConfigRenderer.config(for: def, context: libvirtDnsmasqContext(def.name))
            let expected = try Corpus.read("tests/networkxml2confdata/\(row["expected_conf"] ?? "")")
            var ok = true
            if conf != expected {
                ok = false
                failures.append("\(name): conf differs: \(firstDifference(conf, expected))")
            }
            let hosts = DnsmasqConfigRenderer.hostsFile(for: def)
            let hostsColumn = row["expected_hostsfile"] ?? "-"
            if hostsColumn.hasPrefix("-") {
                if !hosts.isEmpty {
                    ok = false
                    failures.append("\(name): expected no DHCP hosts, got \(hosts)")
                }
            } else {
                let expectedHosts = try Corpus.read("tests/networkxml2confdata/\(hostsColumn)")
                if hosts != expectedHosts {
                    ok = false
                    failures.append("\(name): hostsfile differs: \(firstDifference(hosts, expectedHosts))")
                }
            }
            if ok { passed += 1 }
        } catch {
            failures.append("\(name): \(error)")
        }
    }
    #expect(failures.isEmpty, "\(failures.count) of \(rows.count) networkxml2conf cases failed:\n\(failures.joined(separator: "\n"))")
    print("networkxml2conf: \(passed)/\(rows.count) passed, \(unsupported.count) unsupported")
}

@Test func isolatedNetworkHandsOutNoDefaultRoute() throws {
    let def = try NetworkXMLParser.parse("""
        <network><name>iso</name><bridge name='tbr0'/>
          <ip address='10.9.0.1' prefix='24'><dhcp><range start='10.9.0.10' end='10.9.0.20'/></dhcp></ip>
        </network>
        """)
    let conf = DnsmasqConfigRenderer.config(for: def, context: .tapestry(network: "iso", stateDirectory: "/run/tapestry/iso"))
    #expect(conf.contains("\ndhcp-option=3\n"))
    #expect(conf.contains("\ndhcp-hostsfile=/run/tapestry/iso/iso.hostsfile\n"))
    #expect(conf.contains("\ndhcp-leasefile=/run/tapestry/iso/iso.leases\n"))
    let nat = try NetworkXMLParser.parse("""
        <network><name>n</name><forward mode='nat'/><bridge name='tbr1'/>
          <ip address='10.8.0.1' prefix='24'><dhcp><range start='10.8.0.10' end='10.8.0.20'/></dhcp></ip>
        </network>
        """)
    #expect(!DnsmasqConfigRenderer.config(for: nat, context: .tapestry(network: "n", stateDirectory: "/s")).contains("dhcp-option=3"))
}
