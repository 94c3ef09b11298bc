import Foundation
import HostSystem

/// Real etcd members (Debian's etcd-server) for integration tests, each in its own namespace of a
/// `NetnsWorld`, joined by a kernel bridge in an underlay namespace (subnet `<subnet>.0/24`,
/// member i at `<subnet>.<10+i>`), or all in one namespace on its loopback (`loopback: true`:
/// member i at localhost:2379+10000·i, for a client in the test process, which connects from that
/// namespace by name); data directories in the world's temp directory. Members are started,
/// stopped and killed by pid; the world's `close()` removes what is left.
public final class EtcdTestCluster: @unchecked Sendable {
    /// Whether etcd is installed (else the test skips with that reason).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") }

    /// One member.
    public struct Member: Sendable {
        public let name: String
        public let namespace: String
        public let address: String
        public let clientPort: Int
        public let peerPort: Int
        /// How clients name it: `address:2379`, or `localhost:PORT` on a loopback cluster.
        public let endpoint: String
        public var pid: Int32 = -1
    }

    public let world: NetnsWorld
    public let underlay: String
    public let subnet: String
    public private(set) var members: [Member] = []
    /// PEM files when the members serve TLS (`tls: true`): ca, server cert and key, client cert and key.
    public private(set) var certificates: [String: String] = [:]
    private var attached = 0
    private var clientCertAuth = false

    /// `size` members, not yet started (call `startAll`).
    /// `tls`: members serve TLS; `clientCertAuth`: they also want a client certificate signed by the CA.
    public init(world: NetnsWorld, size: Int, subnet: String = "10.77.0", tls: Bool = false, clientCertAuth: Bool = false,
                loopback: Bool = false) throws {
        self.world = world
        self.clientCertAuth = clientCertAuth
        self.subnet = subnet
        underlay = world.namespace("eul")
        try check(world.exec(underlay, "ip link add ul type bridge && ip link set ul up"), "underlay bridge")
        let shared = loopback ? world.namespace("etcd") : nil
        for i in 1...size {
            if let shared {
                let port = 2379 + 10000 * (i - 1)
                members.append(Member(name: "m\(i)", namespace: shared, address: "127.0.0.1", clientPort: port, peerPort: port + 1,
                                      endpoint: "localhost:\(port)"))
            } else {
                let ns = world.namespace("etcd\(i)")
                let address = "\(subnet).\(10 + i)"
                try attach(ns, address: address)
                members.append(Member(name: "m\(i)", namespace: ns, address: address, clientPort: 2379, peerPort: 2380,
                                      endpoint: "\(address):2379"))
            }
        }
        if tls { try makeCertificates() }
    }

    /// Joins namespace `ns` to the underlay with `address`/24 on its `eth<k>` (k counts attachments).
    public func attach(_ ns: String, address: String, interface: String = "eth0") throws {
        attached += 1
        let port = "eu\(attached)"
        world.veth(port, in: underlay, interface, in: ns)
        try check(world.exec(underlay, "ip link set \(port) master ul"), "attach \(ns)")
        try check(world.exec(ns, "ip addr add \(address)/24 dev \(interface)"), "address \(address) in \(ns)")
    }

    private var scheme: String { certificates.isEmpty ? "http" : "https" }

    /// `etcd://A:2379,B:2379,…` of every member.
    public var clusterURL: String { "etcd://" + members.map(\.endpoint).joined(separator: ",") }

    private func clientURL(_ m: Member) -> String { "\(scheme)://\(m.address):\(m.clientPort)" }

    /// Starts member `i` (0-based) with its data directory (a restart keeps its data).
    public func start(_ i: Int) throws {
        let m = members[i]
        let peers = members.map { "\($0.name)=http://\($0.address):\($0.peerPort)" }.joined(separator: ",")
        var tlsFlags = ""
        if !certificates.isEmpty {
            tlsFlags = "--cert-file \(certificates["server-cert"]!) --key-file \(certificates["server-key"]!)"
            // etcd wants client certificates as soon as it is given a CA to check them with.
            if clientCertAuth { tlsFlags += " --trusted-ca-file \(certificates["ca"]!) --client-cert-auth" }
        }
        let cmd = "exec etcd --name \(m.name) --data-dir \(world.tempDirectory)/\(m.name).etcd"
            + " --listen-client-urls \(clientURL(m)) --advertise-client-urls \(clientURL(m))"
            + " --listen-peer-urls http://\(m.address):\(m.peerPort) --initial-advertise-peer-urls http://\(m.address):\(m.peerPort)"
            + " --initial-cluster \(peers) --initial-cluster-state new --initial-cluster-token \(world.prefix)"
            + " --heartbeat-interval 50 --election-timeout 500 --logger zap --log-level warn \(tlsFlags)"
            + " >>\(world.tempDirectory)/\(m.name).log 2>&1"
        let pid = world.spawn(m.namespace, cmd)
        guard pid > 0 else { throw TestWorldError("could not start etcd member \(m.name)") }
        members[i].pid = pid
    }

    /// Starts every member and waits until the cluster has a leader.
    public func startAll(timeout: Double = 15) throws {
        for i in members.indices { try start(i) }
        try waitHealthy(timeout: timeout)
    }

    /// SIGTERM, then SIGKILL after 5 s.
    public func stop(_ i: Int) {
        ProcessControl.terminate(members[i].pid, grace: 5)
        members[i].pid = -1
    }

    /// SIGKILL, as a crash would.
    public func kill9(_ i: Int) {
        let pid = members[i].pid
        if pid > 0 { kill(pid, SIGKILL); _ = ProcessControl.waitGone(pid, seconds: 3) }
        members[i].pid = -1
    }

    public func stopAll() { for i in members.indices { stop(i) } }

    /// etcdctl inside member `i`'s namespace against all running members.
    @discardableResult
    public func etcdctl(_ args: String, via i: Int = 0, user: String? = nil) -> Shell.Output {
        let endpoints = members.map(clientURL).joined(separator: ",")
        var flags = "--endpoints \(endpoints) --dial-timeout 2s --command-timeout 5s"
        if !certificates.isEmpty {
            flags += " --cacert \(certificates["ca"]!) --cert \(certificates["client-cert"]!) --key \(certificates["client-key"]!)"
        }
        if let user { flags += " --user \(Shell.quote(user))" }
        return world.exec(members[i].namespace, "ETCDCTL_API=3 etcdctl \(flags) \(args)", timeout: 20)
    }

    /// Waits until every running member reports healthy.
    public func waitHealthy(timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let running = members.indices.filter { members[$0].pid > 0 }
        while Date() < deadline {
            let via = running.first ?? 0
            let endpoints = running.map { clientURL(members[$0]) }.joined(separator: ",")
            var flags = "--endpoints \(endpoints) --dial-timeout 1s --command-timeout 2s"
            if !certificates.isEmpty {
                flags += " --cacert \(certificates["ca"]!) --cert \(certificates["client-cert"]!) --key \(certificates["client-key"]!)"
            }
            if world.exec(members[via].namespace, "ETCDCTL_API=3 etcdctl \(flags) endpoint health", timeout: 10).ok { return }
            usleep(200_000)
        }
        throw TestWorldError("etcd did not become healthy; logs:\n" + logs)
    }

    /// The index of the current leader, from one `etcdctl endpoint status` of the running members
    /// (ids compared as text: they exceed what a JSON number keeps exactly).
    public func leader() -> Int? {
        func field(_ name: String, in text: Substring) -> String? {
            guard let r = text.range(of: "\"\(name)\":") else { return nil }
            return String(text[r.upperBound...].prefix { $0.isNumber })
        }
        guard let via = members.firstIndex(where: { $0.pid > 0 }) else { return nil }
        let running = members.filter { $0.pid > 0 }.map(clientURL).joined(separator: ",")
        let out = etcdctl("endpoint status --endpoints \(running) -w json", via: via)
        for entry in out.stdout.components(separatedBy: "{\"Endpoint\":").dropFirst() {
            let e = Substring(entry)
            guard let leader = field("leader", in: e), let member = field("member_id", in: e), leader == member else { continue }
            if let i = members.firstIndex(where: { entry.hasPrefix("\"\(clientURL($0))\"") }) { return i }
        }
        return nil
    }

    /// Every member's log.
    public var logs: String {
        members.map { m in
            "--- \(m.name)\n" + ((try? String(contentsOfFile: "\(world.tempDirectory)/\(m.name).log", encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    /// A CA, a server certificate for every member address and a client certificate (openssl).
    private func makeCertificates() throws {
        let d = world.tempDirectory + "/pki"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let sans = (["DNS:localhost"] + Set(members.map(\.address)).sorted().map { "IP:\($0)" }).joined(separator: ",")
        let script = """
        set -e; cd \(d)
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=tapestry-test-ca 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=etcd 2>/dev/null
        printf 'subjectAltName=\(sans)\\nextendedKeyUsage=serverAuth,clientAuth\\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=root 2>/dev/null
        printf 'extendedKeyUsage=clientAuth\\n' > client.ext
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext 2>/dev/null
        """
        try check(Shell.run(script), "test certificates")
        certificates = ["ca": "\(d)/ca.pem", "server-cert": "\(d)/server.pem", "server-key": "\(d)/server.key",
                        "client-cert": "\(d)/client.pem", "client-key": "\(d)/client.key"]
    }

    private func check(_ out: Shell.Output, _ what: String) throws {
        guard out.ok else { throw TestWorldError("\(what) failed: \(out)") }
    }
}
