import EtcdClient
import Foundation
import HostSystem
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// EtcdClient against real etcd members (Debian's etcd-server) in namespaces: reads, writes,
/// transactions, leases, watches that resume across a member's death without missing or repeating
/// a change, failover, TLS with client certificates and user/password authentication.
@Suite(.serialized, .enabled(if: NetnsWorld.isAvailable && EtcdTestCluster.isAvailable, "needs root, ip netns and etcd-server"))
struct EtcdClientIntegrationTests {
    /// A world with `size` members on the loopback of one namespace, and an event loop that
    /// connects from there (members are named `localhost:PORT`: NIO opens sockets for a name on
    /// its event loop's thread, which lives in that namespace).
    final class Lab: @unchecked Sendable {
        let world: NetnsWorld
        let etcd: EtcdTestCluster
        let group: MultiThreadedEventLoopGroup
        private var clients: [EtcdClient] = []

        init(_ tag: String, size: Int, tls: Bool = false, clientCertAuth: Bool = false) throws {
            world = NetnsWorld(tag)
            etcd = try EtcdTestCluster(world: world, size: size, tls: tls, clientCertAuth: clientCertAuth, loopback: true)
            group = try EtcdTestNamespace.eventLoopGroup(in: etcd.members[0].namespace)
            try etcd.startAll()
        }

        func makeClient(_ tlsFiles: EtcdConfiguration.TLSFiles? = nil, user: String? = nil, password: String? = nil) throws -> EtcdClient {
            var config = try EtcdConfiguration.parse(etcd.clusterURL, tls: tlsFiles, username: user, password: password)
            config.requestTimeout = 3
            let c = try EtcdClient(config, eventLoopGroup: group)
            clients.append(c)
            return c
        }

        /// Runs `body` with a lab, then shuts the clients, the event loop and the world down (also on failure).
        static func with(_ tag: String, size: Int, tls: Bool = false, clientCertAuth: Bool = false,
                         _ body: (Lab) async throws -> Void) async throws {
            let lab = try Lab(tag, size: size, tls: tls, clientCertAuth: clientCertAuth)
            do { try await body(lab) } catch { await lab.close(); throw error }
            await lab.close()
        }

        func close() async {
            for c in clients { await c.shutdown() }
            try? await group.shutdownGracefully()
            world.close()
        }
    }

    @Test func readsWritesDeletesAndTransactions() async throws {
        try await Lab.with("ekv", size: 1) { lab in
        let c = try lab.makeClient()
        let r1 = try await c.put("/t/a", "1")
        try await c.put("/t/b", [0, 255, 10])
        try await c.put("/u/x", "outside")
        #expect(try await c.get("/t/a")?.valueString == "1")
        #expect(try await c.get("/t/b")?.value == [0, 255, 10])
        #expect(try await c.get("/t/none") == nil)
        let (kvs, rev) = try await c.getPrefix("/t/")
        #expect(kvs.map(\.keyString) == ["/t/a", "/t/b"])
        #expect(rev >= r1 + 2)
        // Created only when absent: the second try fails and reads the value instead.
        let t1 = try await c.txn(compare: [.absent("/t/c")], success: [.put("/t/c", "new")], failure: [.get(key: "/t/c")])
        #expect(t1.succeeded)
        let t2 = try await c.txn(compare: [.absent("/t/c")], success: [.put("/t/c", "again")], failure: [.get(key: "/t/c")])
        #expect(!t2.succeeded)
        #expect(t2.reads.first?.first?.valueString == "new")
        let kv = try #require(try await c.get("/t/c"))
        let t3 = try await c.txn(compare: [EtcdCompare(key: "/t/c", .equal, .modRevision(kv.modRevision))],
                                 success: [.deletePrefix("/t/"), .put("/v/only", "x")])
        #expect(t3.succeeded)
        #expect(try await c.getPrefix("/t/").kvs.isEmpty)
        #expect(try await c.get("/v/only")?.valueString == "x")
        // A changed key fails the comparison: nothing of `success` happens.
        let t4 = try await c.txn(compare: [EtcdCompare(key: "/v/only", .equal, .modRevision(kv.modRevision))],
                                 success: [.delete(key: "/v/only")])
        #expect(!t4.succeeded)
        #expect(try await c.deletePrefix("/v/") == 1)
        #expect(try await c.get("/u/x")?.valueString == "outside")
        // etcd's own view agrees.
        #expect(lab.etcd.etcdctl("get /u/x --print-value-only").stdout.contains("outside"))
        }
    }

    @Test func leasesBindKeysAndExpire() async throws {
        try await Lab.with("elease", size: 1) { lab in
        let c = try lab.makeClient()
        let kept = try await c.grantLease(ttl: 2)
        let lost = try await c.grantLease(ttl: 2)
        try await c.put("/l/kept", "k", lease: kept.id)
        try await c.put("/l/lost", "l", lease: lost.id)
        #expect(try await c.get("/l/kept")?.lease == kept.id)
        for _ in 0..<8 {       // 4 s: past the TTL, renewing only one
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(try await c.keepAlive(lease: kept.id) > 0)
        }
        #expect(try await c.get("/l/kept") != nil)
        #expect(try await c.get("/l/lost") == nil)
        await #expect(throws: EtcdError.leaseExpired(lost.id)) { try await c.keepAlive(lease: lost.id) }
        try await c.revokeLease(kept.id)
        #expect(try await c.get("/l/kept") == nil)
        try await c.revokeLease(kept.id)   // gone already: no error
        }
    }

    @Test func watchResumesAcrossMemberDeathWithoutLossOrRepeat() async throws {
        try await Lab.with("ewatch", size: 3, Self.watchAcrossMemberDeath)
    }

    static func watchAcrossMemberDeath(_ lab: Lab) async throws {
        let writer = try lab.makeClient()
        let watcher = try lab.makeClient()
        let start = try await writer.put("/w/start", "0")
        let total = 60
        let collected = Task { try await Self.collect(watcher, prefix: "/w/", from: start + 1, count: total + 1) }
        var expected: [String] = []
        for n in 0..<total {
            if n == 20 {
                // Kill the member the watch streams from (the preferred one), mid-stream.
                let port = watcher.preferredEndpoint.port
                guard let victim = lab.etcd.members.firstIndex(where: { $0.clientPort == port }) else {
                    Issue.record("no member serves port \(port)"); return
                }
                lab.etcd.kill9(victim)
            }
            if n == 40, let dead = lab.etcd.members.firstIndex(where: { $0.pid <= 0 }) { try lab.etcd.start(dead) }
            let key = "/w/k\(n)"
            try await writer.put(key, "v\(n)")
            expected.append(key)
            try await Task.sleep(nanoseconds: 30_000_000)
        }
        try await writer.delete("/w/k0")
        expected.append("/w/k0")
        let result = try await withTimeout(seconds: 20) { try await collected.value }
        #expect(result.keys == expected, "the watch saw \(result.keys.count) changes, expected \(expected.count)")
        #expect(result.kinds.last == .delete)
        #expect(result.disconnects >= 1, "the watch never lost its member: the test did not test resuming")
    }

    /// The keys and kinds of the first `count` changes a watch delivers, and how often it lost its member.
    static func collect(_ watcher: EtcdClient, prefix: String, from start: Int64, count: Int) async throws
        -> (keys: [String], kinds: [EtcdEvent.Kind], disconnects: Int) {
        var keys: [String] = [], kinds: [EtcdEvent.Kind] = [], disconnects = 0
        for try await update in watcher.watch(prefix: prefix, startRevision: start) {
            switch update {
            case .events(let events, _):
                for e in events { keys.append(e.kv.keyString); kinds.append(e.kind) }
            case .disconnected: disconnects += 1
            case .connected: break
            }
            if keys.count >= count { break }
        }
        return (keys, kinds, disconnects)
    }

    @Test func failsOverAndSaysWhenNoMemberAnswers() async throws {
        try await Lab.with("efail", size: 3) { lab in
        let c = try lab.makeClient()
        try await c.put("/f/a", "1")
        lab.etcd.kill9(0)                      // the first endpoint of the list
        #expect(try await c.get("/f/a")?.valueString == "1")
        try await c.put("/f/b", "2")
        #expect(c.preferredEndpoint.port != lab.etcd.members[0].clientPort)
        lab.etcd.stopAll()
        do {
            _ = try await c.get("/f/a")
            Issue.record("a read succeeded with every member stopped")
        } catch let e as EtcdError {
            guard case .unavailable(let why) = e else { Issue.record("wrong error \(e)"); return }
            for m in lab.etcd.members { #expect(why.contains(m.endpoint), "\(why)") }
        }
        try lab.etcd.startAll()
        #expect(try await c.get("/f/b")?.valueString == "2")
        }
    }

    @Test func tlsWithClientCertificates() async throws {
        try await Lab.with("ecert", size: 1, tls: true, clientCertAuth: true) { lab in
            let certs = lab.etcd.certificates
            let c = try lab.makeClient(EtcdConfiguration.TLSFiles(caFile: certs["ca"], certFile: certs["client-cert"], keyFile: certs["client-key"]))
            try await c.put("/tapestry/x", "secure")
            #expect(try await c.get("/tapestry/x")?.valueString == "secure")
            // Without a client certificate the member refuses the connection.
            let anonymous = try lab.makeClient(EtcdConfiguration.TLSFiles(caFile: certs["ca"]))
            await #expect(throws: EtcdError.self) { try await anonymous.get("/tapestry/x") }
            // Without the CA the member's certificate is not trusted.
            let untrusting = try lab.makeClient(EtcdConfiguration.TLSFiles(caFile: nil, certFile: certs["client-cert"], keyFile: certs["client-key"]))
            await #expect(throws: EtcdError.self) { try await untrusting.get("/tapestry/x") }
            #expect(throws: EtcdError.self) { try EtcdClient(EtcdConfiguration.parse("etcds://localhost", tls: .init(caFile: "/nonexistent.pem"))) }
        }
    }

    @Test func userAuthenticationOverTLS() async throws {
        try await Lab.with("eauth", size: 1, tls: true) { lab in
            let files = EtcdConfiguration.TLSFiles(caFile: lab.etcd.certificates["ca"])
            // Auth on: a root user and a user 'tapestry' with a role on /tapestry/.
            for cmd in ["user add root --new-user-password=rootpw", "user grant-role root root",
                        "user add tapestry --new-user-password=s3cret", "role add fabric",
                        "role grant-permission fabric --prefix=true readwrite /tapestry/", "user grant-role tapestry fabric",
                        "auth enable"] {
                let out = lab.etcd.etcdctl(cmd)
                try #require(out.ok, "etcdctl \(cmd): \(out)")
            }
            let c = try lab.makeClient(files, user: "tapestry", password: "s3cret")
            try await c.put("/tapestry/x", "secure")
            #expect(try await c.get("/tapestry/x")?.valueString == "secure")
            await #expect(throws: EtcdError.self) { try await c.put("/other", "no permission") }
            let watched = try await Self.collectAfterPut(c)
            #expect(watched == ["/tapestry/w"])
            let bad = try lab.makeClient(files, user: "tapestry", password: "wrong")
            do {
                _ = try await bad.get("/tapestry/x")
                Issue.record("a wrong password was accepted")
            } catch let e as EtcdError {
                guard case .authentication = e else { Issue.record("wrong error \(e)"); return }
            }
            let anonymous = try lab.makeClient(files)
            await #expect(throws: EtcdError.self) { try await anonymous.get("/tapestry/x") }
        }
    }

    /// A watch with a token sees a put made after it started.
    static func collectAfterPut(_ c: EtcdClient) async throws -> [String] {
        let start = try await c.put("/tapestry/start", "0")
        let task = Task { try await Self.collect(c, prefix: "/tapestry/w", from: start + 1, count: 1).keys }
        try await c.put("/tapestry/w", "1")
        return try await withTimeout(seconds: 10) { try await task.value }
    }
}

/// Event loops whose threads live in a test namespace (new threads inherit the namespace of the
/// thread that creates them), so the test process connects from there without touching its own.
enum EtcdTestNamespace {
    static func eventLoopGroup(in ns: String) throws -> MultiThreadedEventLoopGroup {
        let box = LockedBox<MultiThreadedEventLoopGroup?>(nil)
        try NetworkNamespace.run(in: ns) {
            let g = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            // Start the loop's thread now, while still inside the namespace.
            _ = try? g.next().submit {}.wait()
            box.set(g)
        }
        guard let g = box.get() else { throw TestWorldError("no event loop in \(ns)") }
        return g
    }
}

/// Runs `body`, failing when it takes longer than `seconds`.
func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)); return nil }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestWorldError("timed out after \(seconds) s")
        }
        return value
    }
}
