import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry --connect ssh://…`: every verb against a daemon on another "machine" (a namespace with
/// its own sshd), through `ssh … tapestry proxy`; a capture streams back; a user without access
/// to the socket gets a clear error.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && SSHServer.sshdPath != nil,
                             "needs root, ip netns and openssh-server (Tools/install-deps installs it)"))
struct RemoteTests {
    static var tapestry: String { NetnsWorld.binDirectory + "/tapestry" }

    @Test func verbsCaptureAndEventsThroughSSH() throws {
        let world = NetnsWorld("ssh")
        defer { world.close() }
        let client = world.namespace("cli")
        let server = world.namespace("srv")
        world.veth("c0", in: client, "s0", in: server)
        try #require(world.exec(client, "ip addr add 10.78.0.1/24 dev c0").ok && world.exec(server, "ip addr add 10.78.0.2/24 dev s0").ok)
        let d = try world.startDaemon(in: server)
        let user = "tps\(getpid() % 100000)"
        try #require(Shell.run("useradd -M -N -d /nonexistent -s /bin/sh -p '*' \(user)").ok, "useradd \(user)")
        defer { Shell.run("userdel \(user)") }
        let sshd = try SSHServer(world: world, namespace: server, address: "10.78.0.2", users: ["root", user])
        let url = sshd.url(user: "root", socket: d.socket, tapestry: Self.tapestry)
        func remote(_ args: String, env: String = "") -> Shell.Output {
            world.exec(client, "TAPESTRY_SSH='\(sshd.sshCommand)' \(env) \(Self.tapestry) --connect '\(url)' \(args)", timeout: 60)
        }

        // Changes and queries go to the remote daemon, not to a local one (there is none in `client`).
        var r = remote("add-br br0")
        try #require(r.ok, "add-br through ssh: \(r)\nsshd log: \((try? String(contentsOfFile: "\(world.tempDirectory)/sshd/sshd.log", encoding: .utf8)) ?? "")")
        let vm1 = world.namespace("vm1"), vm2 = world.namespace("vm2")
        r = remote("add-port br0 vm1 --type tap --netns \(vm1)"); #expect(r.ok, "\(r)")
        // $TAPESTRY_CONNECT instead of --connect.
        r = world.exec(client, "TAPESTRY_SSH='\(sshd.sshCommand)' TAPESTRY_CONNECT='\(url)' \(Self.tapestry) add-port br0 vm2 --type tap --netns \(vm2)")
        #expect(r.ok, "add-port with $TAPESTRY_CONNECT: \(r)")
        #expect(world.exec(vm1, "ip addr add 10.79.0.1/24 dev vm1 && ip link set vm1 up").ok)
        #expect(world.exec(vm2, "ip addr add 10.79.0.2/24 dev vm2 && ip link set vm2 up").ok)
        #expect(world.ping(from: vm1, "10.79.0.2"), "the VMs on the remote daemon's bridge do not reach each other")
        let show = remote("show br0")
        #expect(show.ok && show.stdout.contains("vm1") && show.stdout.contains("vm2"), "show through ssh: \(show)")
        let local = d.cli("list-ports", "br0")
        #expect(local.ok && local.stdout.contains("vm1") && local.stdout.contains("vm2"), "the daemon itself: \(local)")
        let json = remote("--format json list-ports br0")
        #expect(json.ok && json.stdout.contains("vm1"), "\(json)")
        // A refusal from the remote daemon reads as it would locally.
        let refused = remote("add-br br0")
        #expect(refused.status == 1 && refused.stderr.contains("could not add bridge br0") && refused.stderr.contains("exists"), "\(refused)")

        // capture -c 3 streams through ssh while vm1 pings vm2 — until the capture has its frames (at
        // most 60 pings): under load, ssh and the remote capture take longer than a fixed wait.
        let cap = "\(world.tempDirectory)/cap"
        let pingUntilDone = "i=0; while kill -0 $p 2>/dev/null && [ $i -lt 60 ]; do ip netns exec \(vm1) ping -c 1 -W 1 10.79.0.2 >/dev/null; i=$((i+1)); done"
        let capture = Shell.run("""
            ip netns exec \(client) env TAPESTRY_SSH='\(sshd.sshCommand)' timeout 40 \(Self.tapestry) --connect '\(url)' \
              capture br0 vm1 --filter icmp -c 3 > \(cap).out 2> \(cap).err & p=$!; sleep 2; \(pingUntilDone); wait $p
            """, timeout: 60)
        let lines = ((try? String(contentsOfFile: "\(cap).out", encoding: .utf8)) ?? "").split(separator: "\n")
        let err = (try? String(contentsOfFile: "\(cap).err", encoding: .utf8)) ?? ""
        #expect(capture.ok && lines.count == 3, "capture through ssh: \(capture)\nout: \(lines)\nerr: \(err)")
        #expect(lines.allSatisfy { $0.contains("ICMP") || $0.contains("icmp") }, "\(lines)")
        #expect(err.contains("3 frames captured"), "the remote capture's counts: \(err)")
        // A pcap file written here from a remote capture.
        let pcap = Shell.run("""
            ip netns exec \(client) env TAPESTRY_SSH='\(sshd.sshCommand)' timeout 40 \(Self.tapestry) --connect '\(url)' \
              capture br0 vm2 --filter icmp -c 2 -w \(cap).pcap 2>/dev/null & p=$!; sleep 2; \(pingUntilDone); \
            wait $p && tcpdump -nn -r \(cap).pcap 2>/dev/null | wc -l
            """, timeout: 60)
        #expect(pcap.ok && pcap.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "remote capture to a local pcap: \(pcap)")
        let events = remote("events")
        #expect(events.ok && events.stdout.contains("vm1"), "events through ssh: \(events)")

        // A user whom SSH lets in but who has no access to the socket.
        let denied = world.exec(client, "TAPESTRY_SSH='\(sshd.sshCommand)' \(Self.tapestry) --connect '\(sshd.url(user: user, socket: d.socket, tapestry: Self.tapestry))' show")
        #expect(denied.status == 1 && denied.stderr.contains("permission denied for user \(user)") && denied.stdout.isEmpty,
                "a user without socket access: \(denied)")
        // A host that does not answer: ssh's own words.
        let down = world.exec(client, "TAPESTRY_SSH='\(sshd.sshCommand) -o ConnectTimeout=2' \(Self.tapestry) --connect ssh://root@10.78.0.9:2222 show")
        #expect(down.status == 1 && down.stderr.contains("could not connect to tapestryd at ssh://root@10.78.0.9:2222") && down.stderr.lowercased().contains("ssh"), "\(down)")
        // A bad URL changes nothing and says why.
        let bad = world.exec(client, "\(Self.tapestry) --connect ftp://host show")
        #expect(bad.status == 1 && bad.stderr.contains("only ssh"), "\(bad)")
    }

    /// One topology file for two machines named by `connect: ssh://…`: apply creates the bridge on
    /// both daemons through SSH and a VXLAN segment between them; the VMs on either side ping.
    @Test func topologyAcrossTwoSSHHosts() throws {
        let world = NetnsWorld("sst")
        defer { world.close() }
        let a = world.namespace("a"), b = world.namespace("b")
        world.veth("ua", in: a, "ub", in: b)
        try #require(world.exec(a, "ip addr add 10.80.0.1/24 dev ua").ok && world.exec(b, "ip addr add 10.80.0.2/24 dev ub").ok)
        let da = try world.startDaemon(in: a, name: "da")
        let db = try world.startDaemon(in: b, name: "db")
        let sa = try SSHServer(world: world, namespace: a, address: "10.80.0.1", users: ["root"], name: "sshd-a")
        let sb = try SSHServer(world: world, namespace: b, address: "10.80.0.2", users: ["root"], name: "sshd-b")
        let vm1 = world.namespace("vm1"), vm2 = world.namespace("vm2")
        let file = "\(world.tempDirectory)/two-machines.yaml"
        try """
            version: 1
            name: twomachines
            hosts:
              a: {connect: "\(sa.url(user: "root", socket: da.socket, tapestry: Self.tapestry))", underlay: 10.80.0.1}
              b: {connect: "\(sb.url(user: "root", socket: db.socket, tapestry: Self.tapestry))", underlay: 10.80.0.2}
            bridges:
              br0:
                hosts: [a, b]
                ports:
                  vm1: {host: a, netns: \(vm1), mtu: 1400}
                  vm2: {host: b, netns: \(vm2), mtu: 1400}
            segments:
              blue: {bridge: br0, vni: 4242}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        // The CLI runs on machine a and reaches both daemons only through SSH.
        let cli = "TAPESTRY_SSH='ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=10' \(Self.tapestry)"
        let labs = "--lab-dir \(world.tempDirectory)/labs"
        let validate = world.exec(a, "\(cli) validate \(file)")
        #expect(validate.ok, "validate: \(validate)")
        let apply = world.exec(a, "\(cli) apply \(file) \(labs)", timeout: 180)
        try #require(apply.ok, "apply across two ssh hosts: \(apply)\nlog a:\n\(da.log.suffix(1500))\nlog b:\n\(db.log.suffix(1500))")
        #expect(da.cli("list-ports", "br0").stdout.contains("vx4242") && db.cli("list-ports", "br0").stdout.contains("vx4242"),
                "each daemon has the segment's tunnel port")
        #expect(world.exec(vm1, "ip addr add 10.81.0.1/24 dev vm1 && ip link set vm1 up").ok)
        #expect(world.exec(vm2, "ip addr add 10.81.0.2/24 dev vm2 && ip link set vm2 up").ok)
        #expect(world.ping(from: vm1, "10.81.0.2", count: 5), "vm1 on machine a does not reach vm2 on machine b over the VXLAN segment")
        let again = world.exec(a, "\(cli) plan \(file) \(labs)", timeout: 120)
        #expect(again.ok && again.stdout.contains("nothing to do"), "a second plan: \(again)")
        let destroy = world.exec(a, "\(cli) destroy \(file) \(labs)", timeout: 180)
        #expect(destroy.ok, "destroy: \(destroy)")
        #expect(!da.cli("list-br").stdout.contains("br0") && !db.cli("list-br").stdout.contains("br0"), "destroy left br0 behind")
    }
}
