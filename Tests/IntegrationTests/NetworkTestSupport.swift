import ControlProtocol
import Foundation
import TestSupport

/// Pieces the network integration tests share: a host namespace running tapestryd joined to a
/// "wan" namespace by a veth pair, VMs on tap ports of a network, a real DHCP client (udhcpc)
/// with a small script that applies the lease, and a TCP server that answers with the address it
/// sees the client coming from.
final class NetworkLab {
    let world: NetnsWorld
    let host: String
    let wan: String
    let daemon: NetnsWorld.Daemon
    /// host side of the wan link and the wan side.
    static let hostWAN = "10.99.0.1"
    static let wanAddress = "10.99.0.2"
    static let serverPort = 8080

    init(_ tag: String) throws {
        world = NetnsWorld(tag)
        host = world.namespace("host")
        wan = world.namespace("wan")
        world.veth("wan0", in: host, "eth0", in: wan)
        world.exec(host, "ip addr add \(NetworkLab.hostWAN)/24 dev wan0")
        world.exec(wan, "ip addr add \(NetworkLab.wanAddress)/24 dev eth0")
        // dnsmasq and radvd drop root and must reach their files under the daemon's state
        // directory; tapestryd creates missing parents with mode 0750, so make this one first.
        let directory = world.tempDirectory + "/d"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        chmod(world.tempDirectory, 0o755)
        do { daemon = try world.startDaemon(in: host) } catch {
            world.close()
            throw error
        }
    }

    /// Stops the daemon (which stops dnsmasq and radvd), kills by pid any network helper that
    /// still runs (found through the pid files in the daemon's state directory), removes the world.
    func close() {
        daemon.stop()
        for pid in helperPIDs() { kill(pid, SIGKILL) }
        world.close()
    }

    /// dnsmasq/radvd pids named in the daemon's network directories that still run one of them.
    func helperPIDs() -> [Int32] {
        let dir = daemon.directory + "/state/networks"
        var pids: [Int32] = []
        for net in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            for file in ["dnsmasq.pid", "radvd.pid"] {
                guard let text = try? String(contentsOfFile: "\(dir)/\(net)/\(file)", encoding: .utf8),
                      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), isHelper(pid) else { continue }
                pids.append(pid)
            }
        }
        return pids
    }

    /// Whether `pid` is a live dnsmasq or radvd started for this daemon.
    func isHelper(_ pid: Int32) -> Bool {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") { return false }
        return String(decoding: data, as: UTF8.self).contains(daemon.directory)
    }

    /// Writes `xml` to a file and runs `net-define` (or `net-create`) with it.
    @discardableResult
    func define(_ xml: String, create: Bool = false) -> Shell.Output {
        let file = "\(world.tempDirectory)/net-\(UUID().uuidString).xml"
        FileManager.default.createFile(atPath: file, contents: Data(xml.utf8))
        return daemon.cli(create ? "net-create" : "net-define", file)
    }

    /// A VM namespace `name` with a tap port `name` on `network` (optionally with a fixed MAC).
    @discardableResult
    func vm(_ name: String, on network: String, mac: String? = nil) throws -> String {
        let ns = world.namespace(name)
        var args = ["add-port", "--network", network, name, "--type", "tap", "--netns", ns]
        if let mac { args += ["--mac", mac] }
        let out = daemon.cli(args)
        guard out.ok else { throw TestWorldError("add-port \(name) failed: \(out)") }
        return ns
    }

    /// Runs udhcpc once on interface `ifname` in `ns`; returns the lease the script recorded
    /// (`ip`, `router`, `dns`, `hostname`...), or nil when no lease came.
    func dhcp(_ ns: String, _ ifname: String, tries: Int = 6) -> [String: String]? {
        Self.dhcp(world: world, ns, ifname, tries: tries)
    }

    /// `dhcp(_:_:tries:)` in any world (the cluster tests' VMs too).
    static func dhcp(world: NetnsWorld, _ ns: String, _ ifname: String, tries: Int = 6) -> [String: String]? {
        let script = "\(world.tempDirectory)/udhcpc.sh"
        let leaseFile = "\(world.tempDirectory)/lease-\(ns)"
        if !FileManager.default.fileExists(atPath: script) {
            let text = """
                #!/bin/sh
                # udhcpc hook: apply the lease (address, default route if offered) and record it.
                case "$1" in
                  bound|renew)
                    ip addr flush dev "$interface" scope global
                    ip addr add "$ip/${mask:-24}" dev "$interface"
                    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
                    printf 'ip=%s\\nrouter=%s\\ndns=%s\\nmask=%s\\n' "$ip" "$router" "$dns" "$mask" > "$LEASE_FILE"
                    ;;
                esac
                exit 0

                """
            FileManager.default.createFile(atPath: script, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        }
        unlink(leaseFile)
        let out = world.exec(ns, "LEASE_FILE=\(leaseFile) udhcpc -i \(ifname) -n -q -f -s \(script) -t \(tries) -T 1 -A 1",
                             timeout: Double(tries) * 2 + 10)
        guard out.ok, let text = try? String(contentsOfFile: leaseFile, encoding: .utf8) else { return nil }
        var lease: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { lease[String(kv[0])] = String(kv[1]) }
        }
        return lease
    }

    /// Starts the TCP server in the wan namespace: it answers each connection with the peer's address.
    func startServer(in ns: String? = nil) {
        let file = "\(world.tempDirectory)/server.py"
        let code = """
            import socket
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', \(NetworkLab.serverPort)))
            s.listen(16)
            while True:
                c, a = s.accept()
                c.sendall((a[0] + '\\n').encode())
                c.close()

            """
        FileManager.default.createFile(atPath: file, contents: Data(code.utf8))
        world.spawn(ns ?? wan, "exec python3 \(file)")
    }

    /// Connects from `ns` to the server at `address`; returns the address the server saw, or nil.
    func connect(from ns: String, to address: String, attempts: Int = 10) -> String? {
        let code = "import socket; s = socket.create_connection(('\(address)', \(NetworkLab.serverPort)), timeout=2); print(s.recv(100).decode().strip())"
        for _ in 0..<attempts {
            let out = world.exec(ns, "python3 -c \(Shell.quote(code))", timeout: 10)
            let seen = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if out.ok && !seen.isEmpty { return seen }
            // Connection refused while the server starts; unreachable stays unreachable.
            if !out.stderr.contains("Connection refused") { return nil }
            usleep(300_000)
        }
        return nil
    }

    func info(_ network: String) throws -> NetworkInfo { try daemon.json(NetworkInfo.self, "net-info", network) }
}

/// A libvirt `<network>` with one IPv4 subnet `prefix`.0/24 (gateway .1, DHCP .100-.200).
func networkXML(_ name: String, bridge: String, forward: String?, subnet: String, hosts: [String] = [], extra: String = "") -> String {
    let fwd = forward.map { "  <forward mode='\($0)'/>\n" } ?? ""
    return """
        <network>
          <name>\(name)</name>
        \(fwd)  <bridge name='\(bridge)'/>
          <ip address='\(subnet).1' netmask='255.255.255.0'>
            <dhcp>
              <range start='\(subnet).100' end='\(subnet).200'/>
        \(hosts.map { "      " + $0 + "\n" }.joined())    </dhcp>
          </ip>
        \(extra)</network>

        """
}
