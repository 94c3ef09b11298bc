@testable import Datapath
import CTapestryShims
import Foundation
import HostSystem
import SwitchCore
import TapestryModel
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// VXLAN over an IPv6 underlay, on real sockets inside a private network namespace (only its
/// loopback): the encapsulator's datagrams as a raw socket sees them (UDP header, checksum,
/// VXLAN header, inner frame) and the tunnel's decapsulation (VNI, sender key, frame), the
/// unknown sender and the zero UDP checksum that Linux's vxlan refuses by default.
@Suite("VXLAN over IPv6 sockets", .serialized,
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), "needs root and ip netns"))
struct VXLANIPv6Tests {
    static let loopback = IPAddress(strict: "::1")!
    static let stranger = IPAddress(strict: "2001:db8:99::9")!

    static func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// A namespace with lo up and `stranger` on it; removed afterwards.
    func withNamespace(_ tag: String, _ body: @escaping @Sendable () -> [String]) throws -> [String] {
        let ns = "tpdp6-\(getpid())-\(tag)"
        guard Self.sh("ip netns add \(ns)") == 0 else { return ["ip netns add \(ns) failed"] }
        defer { _ = Self.sh("ip netns del \(ns)") }
        guard Self.sh("ip -n \(ns) link set lo up && ip -n \(ns) addr add \(Self.stranger)/128 dev lo nodad") == 0 else {
            return ["setting up lo in \(ns) failed"]
        }
        return try NetworkNamespace.run(in: ns, body)
    }

    static func bytes(_ a: IPAddress) -> [UInt8] {
        withUnsafeBytes(of: (a.high.bigEndian, a.low.bigEndian)) { Array($0) }
    }

    static func frame(_ seed: UInt8) -> [UInt8] {
        [0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00] + (0..<46).map { UInt8(truncatingIfNeeded: Int($0) &+ Int(seed)) }
    }

    static func vxlan(_ vni: UInt32, _ frame: [UInt8]) -> [UInt8] {
        [0x08, 0, 0, 0, UInt8(vni >> 16), UInt8(vni >> 8 & 0xFF), UInt8(vni & 0xFF), 0] + frame
    }

    /// The RFC 8200 §8.1 checksum over the pseudo-header and `udp` (header + payload): 0xFFFF when valid.
    static func checksumSum(src: IPAddress, dst: IPAddress, udp: [UInt8]) -> UInt16 {
        ReferenceChecksum.sum(ReferenceChecksum.ipv6PseudoHeader(source: bytes(src), destination: bytes(dst), nextHeader: 17, length: udp.count) + udp)
    }

    static func open(_ a: IPAddress, _ port: UInt16) -> Int32 {
        bytes(a).withUnsafeBufferPointer { tp_udp6_open($0.baseAddress!, port) }
    }

    static func send(_ fd: Int32, to a: IPAddress, _ port: UInt16, _ payload: [UInt8]) -> Int {
        let dst = bytes(a)
        return payload.withUnsafeBytes { p in dst.withUnsafeBufferPointer { tp_udp6_send(fd, $0.baseAddress!, port, p.baseAddress!, p.count, 0) } }
    }

    /// Two namespaces joined by a veth (2001:db8:1::1 — ::2); the sending side has transmit checksum
    /// offload off, so the checksum the kernel put in is the one a NIC would send.
    @Test func encapsulationPutsAValidIPv6UDPDatagramOnTheWire() throws {
        let a = "tpdp6-\(getpid())-a", b = "tpdp6-\(getpid())-b"
        let local = IPAddress(strict: "2001:db8:1::1")!, remote = IPAddress(strict: "2001:db8:1::2")!
        defer { _ = Self.sh("ip netns del \(a) 2>/dev/null; ip netns del \(b) 2>/dev/null") }
        try #require(Self.sh("""
            ip netns add \(a) && ip netns add \(b) && ip -n \(a) link add va type veth peer name vb netns \(b) && \
            ip -n \(a) addr add \(local)/64 dev va nodad && ip -n \(b) addr add \(remote)/64 dev vb nodad && \
            ip -n \(a) link set va up && ip -n \(b) link set vb up && ip netns exec \(a) ethtool -K va tx off >/dev/null
            """) == 0, "namespace setup")
        // The peer's sockets live in b, the tunnel in a; the test thread uses both (a socket keeps its namespace).
        let fds = try NetworkNamespace.run(in: b) { () -> [Int32] in
            [Self.open(remote, 4790), socket(AF_INET6, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_UDP))]
        }
        let peer = fds[0], raw = fds[1]
        defer { for fd in fds where fd >= 0 { Glibc.close(fd) } }
        try #require(peer >= 0 && raw >= 0, "peer \(peer) / raw \(raw)")
        let tunnel = try NetworkNamespace.run(in: a) { try VXLANTunnel(local: local, port: 4789) }
        defer { tunnel.close() }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        let binding = VXLANBinding(tunnel: tunnel, vni: 0x12_3456, remotes: [remote], accepted: [], dstPort: 4790)
        #expect(binding.isIPv6 && binding.remotes == [TunnelRemoteKey.key(for: remote)])
        let counters = PortCounters()
        let frame = Self.frame(7)
        let vnet = [UInt8](repeating: 0, count: 12)
        vnet.withUnsafeBytes { v in
            frame.withUnsafeBytes { f in
                VXLANEncapsulator().send(binding, vnet: v.baseAddress!, frame: f, edit: .none, remote: 0, counters: counters.lane(0))
            }
        }
        #expect(counters.txPackets == 1, "drops: \(counters.dropsByName)")

        // What the raw socket sees: the UDP header and payload (IPv6 raw sockets omit the IPv6 header).
        var udp: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 2048)
        for _ in 0..<8 {
            let n = recv(raw, &buf, buf.count, 0)
            guard n > 0 else { break }
            if n >= 8, UInt16(buf[2]) << 8 | UInt16(buf[3]) == 4790 { udp = Array(buf[0..<n]); break }
        }
        try #require(udp.count == 8 + 8 + frame.count, "raw socket saw \(udp.count) bytes")
        let sport = UInt16(udp[0]) << 8 | UInt16(udp[1])
        #expect(Int(udp[4]) << 8 | Int(udp[5]) == udp.count, "UDP length")
        #expect(UInt16(udp[6]) << 8 | UInt16(udp[7]) != 0, "IPv6 UDP needs a checksum (RFC 8200; Linux vxlan default)")
        #expect(Self.checksumSum(src: local, dst: remote, udp: udp) == 0xFFFF, "the UDP checksum verifies")
        #expect(sport != 4789 && sport != 0, "an ephemeral source port per flow, as Linux vxlan: \(sport)")
        #expect(Array(udp[8..<16]) == [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0], "VXLAN header: I flag, VNI 0x123456")
        #expect(Array(udp[16...]) == frame, "the inner frame, unchanged")

        // The peer's UDP socket takes it too (the kernel verified the checksum) and names the IPv6 sender.
        var slot = tp_udp_slot()
        var got: Int32 = 0
        buf.withUnsafeMutableBytes { b in
            slot.buf = b.baseAddress; slot.cap = UInt32(b.count)
            for _ in 0..<100 {
                got = tp_udp_recv_batch(peer, &slot, 1)
                if got != 0 { break }
                usleep(10_000)
            }
        }
        #expect(got == 1 && slot.len == UInt32(8 + frame.count) && slot.is_ipv6 == 1 && slot.src_port == sport)
        #expect(withUnsafeBytes(of: slot.src_ip6, Array.init) == Self.bytes(local))
    }

    @Test func decapsulationNamesTheIPv6SenderAndRefusesZeroChecksums() throws {
        let failures = try withNamespace("dec") {
            var bad: [String] = []
            guard let tunnel = try? VXLANTunnel(local: IPAddress.unspecified(.ipv6), port: 4789) else { return ["tunnel on [::]:4789 did not open"] }
            defer { tunnel.close() }
            // Binding the port makes ::1 a known remote (its key is interned).
            let binding = VXLANBinding(tunnel: tunnel, vni: 42, remotes: [Self.loopback], accepted: [], dstPort: 4789)
            guard let known = TunnelRemoteKey.key(for: Self.loopback), binding.accepted.contains(known) else { return ["::1 not accepted"] }
            let peer = Self.open(Self.loopback, 0)
            let stranger = Self.open(Self.stranger, 0)
            let zero = Self.open(Self.stranger, 0)
            guard peer >= 0, stranger >= 0, zero >= 0 else { return ["sockets: \(peer) \(stranger) \(zero)"] }
            defer { Glibc.close(peer); Glibc.close(stranger); Glibc.close(zero) }
            var one: Int32 = 1
            // UDP_NO_CHECK6_TX (101): this socket sends a zero UDP checksum, as `udp6zerocsumtx` does.
            guard setsockopt(zero, Int32(IPPROTO_UDP), 101, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else { return ["UDP_NO_CHECK6_TX refused"] }

            let batch = ReceiveBatch()
            let lane = tunnel.counters.lane(0)
            func receiveAll(until vni: UInt32) -> [(vni: UInt32, remote: UInt32, frame: [UInt8])] {
                var out: [(vni: UInt32, remote: UInt32, frame: [UInt8])] = []
                for _ in 0..<200 {
                    let n = tunnel.receive(queue: 0, into: batch, counters: lane)
                    for i in 0..<n {
                        let f = UnsafeRawBufferPointer(start: batch.data[i] + Int(TP_VNET_HDR_LEN), count: batch.length[i] - Int(TP_VNET_HDR_LEN))
                        out.append((batch.key[i], batch.remote[i], Array(f)))
                    }
                    if out.contains(where: { $0.vni == vni }) { break }
                    usleep(5_000)
                }
                return out
            }

            _ = Self.send(peer, to: Self.loopback, 4789, Self.vxlan(42, Self.frame(1)))
            let first = receiveAll(until: 42)
            if first.count != 1 || first.first?.remote != known || first.first?.frame != Self.frame(1) {
                bad.append("from ::1: \(first.map { ($0.vni, $0.remote, $0.frame.count) }), wanted VNI 42 from key \(known)")
            }
            _ = Self.send(stranger, to: Self.loopback, 4789, Self.vxlan(43, Self.frame(2)))
            let second = receiveAll(until: 43)
            if second.count != 1 || second.first?.remote != TunnelRemoteKey.unknownIPv6 {
                bad.append("from an unknown sender: \(second.map { ($0.vni, $0.remote) })")
            }
            // A zero checksum is dropped by the kernel; the datagram sent after it proves that reads still see traffic.
            _ = Self.send(zero, to: Self.loopback, 4789, Self.vxlan(44, Self.frame(3)))
            _ = Self.send(peer, to: Self.loopback, 4789, Self.vxlan(45, Self.frame(4)))
            let third = receiveAll(until: 45)
            if third.map(\.vni) != [45] { bad.append("after a zero-checksum datagram: VNIs \(third.map(\.vni)), wanted [45]") }
            return bad
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
