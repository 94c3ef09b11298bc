import Foundation
import HostSystem

/// One QEMU guest (the project's test guest, under TCG) started inside a namespace of a
/// `NetnsWorld`: its serial console goes to a file, its command agent (ttyS1) to a Unix socket.
/// `stop()` (also run by the world's `close()`, by pid) ends it.
public final class GuestVM: @unchecked Sendable {
    /// One virtio-net NIC: the `-netdev` value without its id (e.g. `tap,ifname=vm1,script=…`).
    public struct NIC: Sendable {
        public var netdev: String
        public var mac: String?
        /// More `-device virtio-net-pci` properties (e.g. `vectors=0` for vhost-user).
        public var deviceOptions: String
        /// A `-chardev` value (without its id) the netdev uses as `chardev=` (vhost-user).
        public var chardev: String?
        public init(netdev: String, mac: String? = nil, deviceOptions: String = "", chardev: String? = nil) {
            self.netdev = netdev; self.mac = mac; self.deviceOptions = deviceOptions; self.chardev = chardev
        }

        /// A vhost-user NIC on `socket`: QEMU connects to it (a Tapestry `vhost-user` port), or with
        /// `server` listens there and Tapestry connects (`vhost-user-client`). `queues` > 1 asks for
        /// multi-queue (the guest uses as many pairs as it has CPUs). MSI-X off (`vectors=0`): QEMU 7.2
        /// crashes starting a vhost-user NIC with it under TCG. The guest's RAM becomes shared memory.
        public static func vhostUser(socket: String, mac: String? = nil, server: Bool = false, queues: Int = 1) -> NIC {
            var netdev = "vhost-user"
            var device = "vectors=0"
            if queues > 1 { netdev += ",queues=\(queues)"; device += ",mq=on" }
            return NIC(netdev: netdev, mac: mac, deviceOptions: device,
                       chardev: "socket,path=\(socket)" + (server ? ",server=on,wait=off" : ""))
        }
    }

    /// How the guest's init sets up eth0.
    public enum Network: Sendable {
        case dhcp, none
        /// `ADDR/PREFIX`, optionally with a default gateway.
        case fixed(String, gateway: String?)
        var parameter: String {
            switch self {
            case .dhcp: return "tapestry.net=dhcp"
            case .none: return "tapestry.net=none"
            case .fixed(let a, let g): return "tapestry.net=" + a + (g.map { "," + $0 } ?? "")
            }
        }
    }

    /// The lease the guest reported on its console.
    public struct Lease: Sendable, Equatable {
        public let address: String
        public let router: String
        public let dns: String
        /// The address without its prefix length.
        public var ip: String { String(address.split(separator: "/").first ?? "") }
    }

    public let name: String
    public let console: String
    public let agentSocket: String
    public let pid: Int32
    /// QEMU's own stderr (and its ifup/ifdown scripts').
    public let qemuLog: String
    private var agentFD: Int32 = -1

    /// The guest's RAM.
    public static let memoryMiB = 256

    /// The QEMU command line (without the namespace and environment) for a guest named `name`
    /// with files under `directory`: what `start` runs; libvirt-free tests and tools may reuse it.
    public static func arguments(name: String, directory: String, nics: [NIC], network: Network, script: String?,
                                 extraKernelParameters: [String] = [], extraArguments: [String] = []) throws -> [String] {
        let images = try TestGuest.images()
        var append = ["console=ttyS0", "quiet", "panic=1", network.parameter, "tapestry.agent=ttyS1"] + extraKernelParameters
        if let script { append.append(TestGuest.scriptParameter(script)) }
        var args = [TestGuest.qemu, "-accel", "tcg", "-m", "\(memoryMiB)", "-nodefaults", "-display", "none", "-no-reboot",
                    "-name", name, "-kernel", images.kernel, "-initrd", images.initrd,
                    "-append", append.joined(separator: " "),
                    "-serial", "file:\(directory)/\(name)-console.log",
                    "-chardev", "socket,id=agent,path=\(directory)/\(name)-agent.sock,server=on,wait=off",
                    "-serial", "chardev:agent"]
        // vhost-user: the back-end maps the guest's RAM, so it is a shared memfd.
        if nics.contains(where: { $0.chardev != nil }) {
            args += ["-machine", "pc,memory-backend=mem",
                     "-object", "memory-backend-memfd,id=mem,size=\(memoryMiB)M,share=on"]
        }
        for (i, nic) in nics.enumerated() {
            if let chardev = nic.chardev {
                args += ["-chardev", "\(chardev),id=c\(i)", "-netdev", "\(nic.netdev),chardev=c\(i),id=n\(i)"]
            } else {
                args += ["-netdev", "\(nic.netdev),id=n\(i)"]
            }
            var device = "virtio-net-pci,netdev=n\(i),romfile="
            if let mac = nic.mac { device += ",mac=\(mac)" }
            if !nic.deviceOptions.isEmpty { device += "," + nic.deviceOptions }
            args += ["-device", device]
        }
        return args + extraArguments
    }

    /// Starts the guest in namespace `ns`; `environment` is given to QEMU (and so to its ifup scripts).
    public init(world: NetnsWorld, namespace ns: String, name: String, nics: [NIC], network: Network = .dhcp,
                script: String? = nil, environment: [String: String] = [:], extraKernelParameters: [String] = [],
                extraArguments: [String] = []) throws {
        self.name = name
        let dir = world.tempDirectory
        console = "\(dir)/\(name)-console.log"
        agentSocket = "\(dir)/\(name)-agent.sock"
        unlink(console); unlink(agentSocket)
        let args = try GuestVM.arguments(name: name, directory: dir, nics: nics, network: network, script: script,
                                         extraKernelParameters: extraKernelParameters, extraArguments: extraArguments)
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(Shell.quote($0.value))" }.joined(separator: " ")
        qemuLog = "\(dir)/\(name)-qemu.log"
        pid = world.spawn(ns, "exec env \(env) \(args.map(Shell.quote).joined(separator: " ")) 2>\(qemuLog)")
        guard pid > 0 else { throw TestWorldError("could not start QEMU for \(name)") }
    }

    /// A guest whose QEMU someone else started (libvirt): its console file, agent socket and pid.
    public init(attachedTo name: String, console: String, agentSocket: String, pid: Int32, qemuLog: String) {
        self.name = name; self.console = console; self.agentSocket = agentSocket; self.pid = pid; self.qemuLog = qemuLog
    }

    deinit { stop() }

    /// What the guest printed on its serial console so far.
    public var consoleText: String { (try? String(contentsOfFile: console, encoding: .utf8)) ?? "" }

    /// What QEMU (and its ifup/ifdown scripts) wrote on stderr.
    public var qemuLogText: String { (try? String(contentsOfFile: qemuLog, encoding: .utf8)) ?? "" }

    /// Whether QEMU still runs.
    public var isRunning: Bool { ProcessControl.isAlive(pid) }

    /// Waits until the console holds a line containing `needle` (or QEMU exits); returns that line.
    @discardableResult
    public func waitForConsole(_ needle: String, timeout: Double = 60) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let line = consoleText.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !isRunning { break }
            usleep(100_000)
        } while Date() < deadline
        return consoleText.split(separator: "\n").first(where: { $0.contains(needle) }).map(String.init)
    }

    /// The DHCP lease the guest reported (nil when it reported none or did not get that far in time).
    public func lease(timeout: Double = 90) -> Lease? {
        guard let line = waitForConsole("tapestry-guest: lease ", timeout: timeout) ?? waitForConsole("no-lease", timeout: 0),
              line.contains(" lease ") else { return nil }
        var fields: [String: String] = [:]
        for word in line.split(separator: " ") {
            let kv = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        guard let ip = fields["ip"] else { return nil }
        return Lease(address: ip, router: fields["router"] ?? "", dns: fields["dns"] ?? "")
    }

    /// Runs a shell command in the guest through its agent; the output is the command's stdout
    /// and stderr together, status 124 on timeout.
    public func run(_ command: String, timeout: Double = 30) -> Shell.Output {
        let deadline = Date().addingTimeInterval(timeout)
        guard agentFD >= 0 || waitForConsole("tapestry-guest: agent", timeout: timeout) != nil, connectAgent(until: deadline) else {
            return Shell.Output(status: 125, stdout: "", stderr: "agent of \(name) not reachable at \(agentSocket)")
        }
        drain()
        let line = command.contains("\n") ? "echo \(Data(command.utf8).base64EncodedString()) | base64 -d | sh" : command
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(agentFD, $0.baseAddress, $0.count) }) == bytes.count else {
            closeAgent()
            return Shell.Output(status: 125, stdout: "", stderr: "agent write failed")
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            if let range = GuestVM.statusRange(in: buffer) {
                let out = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                let rc = Int32(String(decoding: buffer[range].dropFirst(6).dropLast(1), as: UTF8.self)) ?? 126
                return Shell.Output(status: rc, stdout: out, stderr: "")
            }
            var pfd = pollfd(fd: agentFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) >= 0 else { break }
            if pfd.revents & Int16(POLLIN) != 0 {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(agentFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                buffer += chunk[0..<n]
            } else if pfd.revents & Int16(POLLHUP | POLLERR) != 0 { break }
        }
        closeAgent()
        return Shell.Output(status: 124, stdout: String(decoding: buffer, as: UTF8.self), stderr: "agent timed out")
    }

    /// Pings `address` from the guest; true when at least one of `count` replies came back.
    public func ping(_ address: String, count: Int = 3) -> Bool {
        run("ping -c \(count) -W 1 \(address)", timeout: Double(count) * 2 + 10).ok
    }

    /// Pings `address` from the guest once at a time until one reply comes back or `timeout`
    /// seconds passed (a starved TCG guest may miss its first seconds); true when one came back.
    public func pings(_ address: String, within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if run("ping -c 1 -W 2 \(address)", timeout: 15).ok { return true }
        } while Date() < deadline && isRunning
        return false
    }

    /// SIGTERM (QEMU runs its downscripts), SIGKILL after 5 s.
    public func stop() {
        closeAgent()
        ProcessControl.terminate(pid, grace: 5)
    }

    /// SIGKILL, as a crash: QEMU runs no downscript and closes nothing in order. Waits until it is gone.
    public func kill9() {
        closeAgent()
        if isRunning { kill(pid, SIGKILL) }
        _ = ProcessControl.waitGone(pid, seconds: 5)
    }

    /// The range of "@@ rc=N\n" at the end of `buffer`, if complete.
    static func statusRange(in buffer: [UInt8]) -> Range<Int>? {
        guard buffer.last == UInt8(ascii: "\n") else { return nil }
        let marker = Array("@@ rc=".utf8)
        var i = buffer.count - 2
        while i >= 0 && buffer[i] != UInt8(ascii: "\n") { i -= 1 }
        let start = i + 1
        guard buffer.count - start > marker.count, Array(buffer[start..<(start + marker.count)]) == marker else { return nil }
        return start..<buffer.count
    }

    private func connectAgent(until deadline: Date) -> Bool {
        if agentFD >= 0 { return true }
        while Date() < deadline {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let path = Array(agentSocket.utf8.prefix(107)) + [0]
            withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: path) }
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            } == 0
            if ok {
                agentFD = fd
                if handshake(until: deadline) { return true }
                closeAgent()
                return false
            }
            close(fd)
            if !isRunning { return false }
            usleep(100_000)
        }
        return false
    }

    /// Sends numbered `echo` lines until the agent answers the last one sent: the guest says
    /// "agent" just before its shell opens the serial port, and what arrives before that is lost (a
    /// command's first letters were). Lines are answered in order, so once the last one is
    /// answered nothing else is pending.
    private func handshake(until deadline: Date) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var seen: [UInt8] = []
        var round = 0
        var window = 0.5
        while Date() < deadline {
            round += 1
            let line = Array("echo tapestry-hs-\(round)\n".utf8)
            let answer = Array("tapestry-hs-\(round)\n@@ rc=0\n".utf8)
            guard line.withUnsafeBytes({ Glibc.write(agentFD, $0.baseAddress, $0.count) }) == line.count else { return false }
            let until = Date().addingTimeInterval(window)
            window = min(window * 2, 4)
            while Date() < until {
                var pfd = pollfd(fd: agentFD, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) >= 0 else { return false }
                guard pfd.revents & Int16(POLLIN) != 0 else { continue }
                let n = chunk.withUnsafeMutableBytes { Glibc.read(agentFD, $0.baseAddress, $0.count) }
                if n <= 0 { return false }
                seen += chunk[0..<n]
                if seen.count >= answer.count && Array(seen.suffix(answer.count)) == answer { return true }
            }
        }
        return false
    }

    /// Reads and drops whatever a timed-out earlier command left behind.
    private func drain() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: agentFD, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 0) > 0 && pfd.revents & Int16(POLLIN) != 0 {
            if chunk.withUnsafeMutableBytes({ Glibc.read(agentFD, $0.baseAddress, $0.count) }) <= 0 { break }
        }
    }

    private func closeAgent() {
        if agentFD >= 0 { close(agentFD); agentFD = -1 }
    }
}
