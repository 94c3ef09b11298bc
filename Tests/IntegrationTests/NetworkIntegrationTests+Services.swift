import ControlProtocol
import Foundation
import TestSupport
import Testing

/// The helpers of a network (dnsmasq, radvd), live updates, supervision, teardown, and the
/// definitions' life cycle through the CLI.
extension NetworkIntegrationTests {
    @Suite(.serialized)
    struct Services {
        @Test func staticHostGetsFixedAddressResolvesAndNetUpdateTakesEffectLive() throws {
            let lab = try NetworkLab("dhcp")
            defer { lab.close() }
            let d = lab.daemon
            let xml = networkXML("lan", bridge: "virbr3", forward: "nat", subnet: "192.168.130",
                                 hosts: ["<host mac='52:54:00:00:00:05' name='db' ip='192.168.130.5'/>"])
            #expect(lab.define(xml).ok)
            try #require(d.cli("net-start", "lan").ok)
            let vm1 = try lab.vm("vm1", on: "lan", mac: "52:54:00:00:00:05")
            let l1 = try #require(lab.dhcp(vm1, "vm1"), "no lease; log:\n\(d.log)")
            #expect(l1["ip"] == "192.168.130.5")
            let dig = lab.world.exec(vm1, "dig +short +time=2 +tries=2 @192.168.130.1 db")
            #expect(dig.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "192.168.130.5", "\(dig)")

            // A host added live: dnsmasq re-reads its hosts file (same pid, no restart).
            let before = try lab.info("lan")
            let add = d.cli("net-update", "lan", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:07' name='web' ip='192.168.130.7'/>")
            #expect(add.ok, "\(add)")
            let after = try lab.info("lan")
            #expect(after.dnsmasqPID == before.dnsmasqPID, "dnsmasq was restarted instead of reloaded")
            let vm2 = try lab.vm("vm2", on: "lan", mac: "52:54:00:00:00:07")
            let l2 = try #require(lab.dhcp(vm2, "vm2"))
            #expect(l2["ip"] == "192.168.130.7")
            let dig2 = lab.world.exec(vm1, "dig +short +time=2 +tries=2 @192.168.130.1 web")
            #expect(dig2.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "192.168.130.7", "\(dig2)")
            // Live only (the default for a running network): the persistent definition is unchanged.
            #expect(d.cli("net-dumpxml", "lan").stdout.contains("52:54:00:00:00:07"))
            #expect(!d.cli("net-dumpxml", "lan", "--inactive").stdout.contains("52:54:00:00:00:07"))
            #expect(d.cli("net-update", "lan", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:07' name='web' ip='192.168.130.7'/>",
                          "--config").ok)
            #expect(d.cli("net-dumpxml", "lan", "--inactive").stdout.contains("52:54:00:00:00:07"))
            // A bad update is refused and changes nothing.
            let bad = d.cli("net-update", "lan", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:09' ip='not-an-address'/>")
            #expect(!bad.ok && bad.stderr.hasPrefix("could not update"), "\(bad)")
        }

        @Test func ipv6VMGetsSLAACAddressFromRadvd() throws {
            let lab = try NetworkLab("ipv6")
            defer { lab.close() }
            let d = lab.daemon
            let xml = networkXML("v6", bridge: "virbr6", forward: "nat", subnet: "192.168.170",
                                 extra: "  <ip family='ipv6' address='fd00:170::1' prefix='64'/>\n")
            #expect(lab.define(xml).ok)
            let start = d.cli("net-start", "v6")
            try #require(start.ok, "\(start)")
            let info = try lab.info("v6")
            #expect(info.radvdPID != nil)
            let vm = try lab.vm("vm1", on: "v6")
            var address = ""
            for _ in 0..<40 {
                let out = lab.world.exec(vm, "ip -6 -o addr show dev vm1 scope global")
                if let word = out.stdout.split(separator: " ").first(where: { $0.hasPrefix("fd00:170::") }) {
                    address = String(word.split(separator: "/")[0])
                    break
                }
                usleep(250_000)
            }
            #expect(!address.isEmpty, "no SLAAC address in fd00:170::/64; radvd log: \(String(describing: try? String(contentsOfFile: (info.stateDirectory ?? "") + "/radvd.log", encoding: .utf8)))")
            if !address.isEmpty {
                #expect(lab.world.exec(vm, "ping -6 -c 2 -i 0.2 -W 2 fd00:170::1").ok)
            }
        }

        @Test func killedDnsmasqIsRestartedAndServesDHCP() throws {
            let lab = try NetworkLab("sup")
            defer { lab.close() }
            let d = lab.daemon
            #expect(lab.define(networkXML("sup", bridge: "virbr4", forward: "nat", subnet: "192.168.140")).ok)
            try #require(d.cli("net-start", "sup").ok)
            let vm = try lab.vm("vm1", on: "sup")
            let old = try #require(try lab.info("sup").dnsmasqPID)
            kill(old, SIGKILL)
            let killed = Date()
            var fresh: Int32? = nil
            while Date().timeIntervalSince(killed) < 2 {
                if let p = try lab.info("sup").dnsmasqPID, p != old, lab.isHelper(p) { fresh = p; break }
                usleep(50_000)
            }
            #expect(fresh != nil, "no new dnsmasq within 2 s")
            let lease = lab.dhcp(vm, "vm1")
            #expect(lease?["ip"]?.hasPrefix("192.168.140.") == true, "the restarted dnsmasq gave no lease")
            // dnsmasq pings a new address before offering it (up to 3 s), hence the margin.
            #expect(Date().timeIntervalSince(killed) < 9)
            #expect(try lab.info("sup").dnsmasqRestarts == 1)
        }

        @Test func netDestroyLeavesNothingBehind() throws {
            let lab = try NetworkLab("dest")
            defer { lab.close() }
            let d = lab.daemon
            let xml = networkXML("gone", bridge: "virbr5", forward: "nat", subnet: "192.168.180",
                                 extra: "  <ip family='ipv6' address='fd00:180::1' prefix='64'/>\n")
            #expect(lab.define(xml).ok)
            try #require(d.cli("net-start", "gone").ok)
            _ = try lab.vm("vm1", on: "gone")
            let info = try lab.info("gone")
            let pids = [info.dnsmasqPID, info.radvdPID].compactMap { $0 }
            #expect(pids.count == 2)
            #expect(lab.world.exec(lab.host, "nft list ruleset").stdout.contains("virbr5"))

            let destroy = d.cli("net-destroy", "gone")
            #expect(destroy.ok, "\(destroy)")
            #expect(!lab.world.exec(lab.host, "nft list ruleset").stdout.contains("virbr5"), "firewall chains left")
            for pid in pids { #expect(!lab.isHelper(pid), "helper \(pid) still runs") }
            #expect(!lab.world.exec(lab.host, "ip link show virbr5").ok, "internal port left")
            let show = d.cli("--format", "json", "show")
            #expect(!show.stdout.contains("virbr5"), "bridge left: \(show.stdout)")
            let dir = try #require(info.stateDirectory)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            #expect(!files.contains { $0.hasSuffix(".pid") || $0.hasSuffix(".sock") || $0.hasSuffix(".conf") }, "\(files)")
            let after = try lab.info("gone")
            #expect(!after.active && after.persistent)
            // It starts again as before.
            #expect(d.cli("net-start", "gone").ok)
            #expect(d.cli("net-destroy", "gone").ok)
        }

        @Test func definitionsLifeCycleThroughTheCLI() throws {
            let lab = try NetworkLab("defs")
            defer { lab.close() }
            let d = lab.daemon

            // Bad XML is refused with the parser's message; nothing is stored.
            let bad = lab.define("<network><name>bad</name><ip address='300.1.1.1'/></network>")
            #expect(!bad.ok && bad.status == 1)
            #expect(bad.stderr.hasPrefix("could not define network: invalid network XML"), "\(bad.stderr)")
            #expect(try d.json(NetworkListResult.self, "net-list", "--all").networks.isEmpty)

            // Defaults filled in: uuid, bridge name, MAC.
            #expect(lab.define("<network><name>auto</name><ip address='192.168.190.1' prefix='24'/></network>").ok)
            let info = try lab.info("auto")
            #expect(info.bridge == "virbr0" && !info.active && info.persistent && !info.autostart)
            #expect(d.cli("net-uuid", "auto").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == info.uuid)
            #expect(d.cli("net-name", info.uuid).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "auto")
            let xml = d.cli("net-dumpxml", "auto").stdout
            #expect(xml.contains("<uuid>\(info.uuid)</uuid>") && xml.contains("<mac address='52:54:00:"), "\(xml)")
            let list = d.cli("net-list").stdout.split(separator: "\n")
            #expect(list.count == 2 && list[0].hasPrefix(" Name") && list[1].allSatisfy { $0 == "-" }, "net-list shows only active networks, as virsh does: \(list)")
            #expect(d.cli("net-list", "--inactive").stdout.contains("auto"))
            // virsh's named arguments.
            #expect(d.cli("net-info", "--network", "auto").stdout.contains("virbr0"))
            #expect(d.cli("net-uuid", "--network=auto").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == info.uuid)

            // net-edit: the edited XML is checked first; a bad edit stores nothing.
            let editBad = Shell.run("EDITOR=\(Shell.quote("sed -i s/192.168.190.1/999.1.1.1/")) ip netns exec \(lab.host) \(NetnsWorld.binDirectory)/tapestry --socket \(d.socket) net-edit auto")
            #expect(!editBad.ok && editBad.stderr.contains("invalid network XML"), "\(editBad)")
            #expect(d.cli("net-dumpxml", "auto").stdout.contains("192.168.190.1"))
            let edit = Shell.run("EDITOR=\(Shell.quote("sed -i s/192.168.190.1/192.168.191.1/")) ip netns exec \(lab.host) \(NetnsWorld.binDirectory)/tapestry --socket \(d.socket) net-edit auto")
            #expect(edit.ok, "\(edit)")
            #expect(d.cli("net-dumpxml", "auto").stdout.contains("192.168.191.1"))

            // Errors name the verb and the network.
            let missing = d.cli("net-start", "nope")
            #expect(missing.status == 1 && missing.stderr == "could not start network nope: no such network\n", "\(missing)")
            #expect(d.cli("net-destroy", "auto").stderr.contains("is not active"))

            // Autostart: survives kill -9 of the daemon and comes back running.
            #expect(d.cli("net-autostart", "auto").ok)
            d.kill9()
            try d.start()
            let back = try lab.info("auto")
            #expect(back.active && back.autostart && back.uuid == info.uuid, "\(back)\n\(d.log)")
            #expect(lab.world.exec(lab.host, "ip -o addr show virbr0").stdout.contains("192.168.191.1"))
            #expect(d.cli("net-autostart", "auto", "--disable").ok)
            #expect(d.cli("net-destroy", "auto").ok)
            #expect(d.cli("net-undefine", "auto").ok)
            #expect(try d.json(NetworkListResult.self, "net-list", "--all").networks.isEmpty)

            // net-create: transient, running at once, gone when destroyed.
            #expect(lab.define(networkXML("tmp", bridge: "virbr7", forward: "open", subnet: "192.168.200"), create: true).ok)
            let tmp = try lab.info("tmp")
            #expect(tmp.active && !tmp.persistent)
            #expect(d.cli("net-autostart", "tmp").stderr.contains("transient"))
            #expect(d.cli("net-destroy", "tmp").ok)
            #expect(!d.cli("net-info", "tmp").ok)
        }
    }
}
