import CTapestryShims
import Foundation
import HostSystem
#if canImport(Glibc)
import Glibc
#endif

/// `tapestry doctor`'s look at the host: the kernel features Tapestry uses and the helper programs
/// tapestryd runs for networks. Runs in the caller's network namespace.
enum HostProbe {
    static let area = "kernel"

    static func kernel() -> [DoctorFinding] {
        var out: [DoctorFinding] = []
        // tun/tap, vnet headers, multi-queue.
        var features: UInt32 = 0
        let r = tp_tun_features(&features)
        if r < 0 {
            out.append(.problem(area, "tun/tap", "/dev/net/tun cannot be opened: \(describeErrno(-r))",
                                fix: -r == ENOENT ? "load the tun module (modprobe tun) or create /dev/net/tun (mknod /dev/net/tun c 10 200)"
                                                  : "run as root (or with CAP_NET_ADMIN), and check the device's permissions"))
        } else {
            out.append(.ok(area, "tun/tap", "/dev/net/tun opens; TUN features 0x\(String(features, radix: 16))"))
            out.append(features & 0x4000 != 0
                ? .ok(area, "vnet headers", "IFF_VNET_HDR supported (checksum and segmentation offloads for taps)")
                : .problem(area, "vnet headers", "IFF_VNET_HDR not supported by this kernel's TUN driver", fix: "use a kernel with TUN vnet header support (Linux ≥ 2.6.32)"))
            out.append(features & 0x0100 != 0
                ? .ok(area, "multi-queue", "IFF_MULTI_QUEUE supported")
                : .warning(area, "multi-queue", "IFF_MULTI_QUEUE not supported: taps have one queue", fix: "use Linux ≥ 3.8 for multi-queue taps"))
        }
        // AF_PACKET (system ports).
        let p = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(UInt16(0x0003).bigEndian))
        if p >= 0 {
            close(p)
            out.append(.ok(area, "AF_PACKET", "packet sockets open (system ports)"))
        } else {
            out.append(.problem(area, "AF_PACKET", "packet socket refused: \(describeErrno(errno))",
                                fix: "run as root or with CAP_NET_RAW; the kernel needs CONFIG_PACKET"))
        }
        // UDP GSO/GRO (VXLAN).
        let u = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if u >= 0 {
            var seg: Int32 = 1400, on: Int32 = 1
            let gso = setsockopt(u, Int32(IPPROTO_UDP), 103 /* UDP_SEGMENT */, &seg, socklen_t(MemoryLayout<Int32>.size)) == 0
            let gro = setsockopt(u, Int32(IPPROTO_UDP), 104 /* UDP_GRO */, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
            close(u)
            out.append(gso ? .ok(area, "UDP GSO", "UDP_SEGMENT supported (VXLAN sends in batches)")
                           : .warning(area, "UDP GSO", "UDP_SEGMENT not supported: VXLAN sends one datagram per frame", fix: "use Linux ≥ 4.18"))
            out.append(gro ? .ok(area, "UDP GRO", "UDP_GRO supported (VXLAN receives in batches)")
                           : .warning(area, "UDP GRO", "UDP_GRO not supported: VXLAN receives one datagram at a time", fix: "use Linux ≥ 5.0"))
        }
        // Network namespaces.
        if access("/proc/self/ns/net", R_OK) == 0 {
            out.append(.ok(area, "namespaces", "network namespaces available (/proc/self/ns/net)"))
        } else {
            out.append(.problem(area, "namespaces", "no /proc/self/ns/net", fix: "use a kernel with CONFIG_NET_NS and mount /proc"))
        }
        // nftables in the kernel (the nft program itself is checked with the helpers).
        if let nft = findInPATH("nft") {
            let r = run(nft, ["list", "tables"])
            out.append(r.status == 0
                ? .ok(area, "nftables", "the kernel answers nft (nf_tables)")
                : .problem(area, "nftables", "nft list tables failed: \(r.text)", fix: "load nf_tables (modprobe nf_tables) and run as root"))
        }
        return out
    }

    /// The helpers tapestryd runs for networks, looked up in $PATH as tapestryd does.
    static func helpers() -> [DoctorFinding] {
        let helpers: [(name: String, args: [String], package: String, use: String)] = [
            ("dnsmasq", ["--version"], "dnsmasq-base", "DHCP and DNS of networks"),
            ("radvd", ["--version"], "radvd", "router advertisements of IPv6 networks"),
            ("nft", ["--version"], "nftables", "NAT and firewall rules of networks"),
            ("ip", ["-V"], "iproute2", "topology labs and ports in namespaces"),
        ]
        return helpers.map { h in
            guard let path = findInPATH(h.name) else {
                return .problem("helpers", h.name, "\(h.name) not found in PATH (\(h.use) cannot work)",
                                fix: "apt install \(h.package)")
            }
            let r = run(path, h.args)
            let first = r.text.split(separator: "\n").first.map(String.init) ?? ""
            guard r.status == 0 || !first.isEmpty else {
                return .problem("helpers", h.name, "\(path) does not run: \(r.text)", fix: "reinstall \(h.package)")
            }
            return .ok("helpers", h.name, "\(path): \(first.trimmingCharacters(in: .whitespaces))")
        }
    }

    /// `program` in $PATH (only there: what a shell and tapestryd's children would run).
    static func findInPATH(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for d in path.split(separator: ":") where access("\(d)/\(program)", X_OK) == 0 { return "\(d)/\(program)" }
        return nil
    }

    /// Runs `path` (at most `timeout` seconds) and returns its exit status and output, stdout then stderr.
    static func run(_ path: String, _ args: [String], timeout: Double = 10) -> (status: Int32, text: String) {
        do {
            let r = try ChildProcess.run(path, args, timeout: timeout)
            return (r.status, (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (127, error.description)
        }
    }
}
