import Foundation
import HostSystem
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether Debian's dpkg-deb is there to build the package.
private let hasDpkgDeb = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb")

/// `Tools/package`: builds the .deb once (a release build, a few minutes), then checks what it
/// holds and that the installed programs work from their installed places: the file list and
/// Depends, the systemd unit (`systemd-analyze verify`), completions in bash, man pages (`man -l`),
/// and tapestryd/tapestry/qemu-ifup from the extracted tree against a daemon in a namespace,
/// configured by a tapestryd.conf that a command-line flag overrides, telling "systemd" READY=1.
@Suite(.serialized, .enabled(if: hasDpkgDeb, "dpkg-deb not found: cannot build the package (install dpkg)"))
struct PackageTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The executable products Package.swift declares: each must be in the package.
    static func products() -> [String] {
        let text = (try? String(contentsOfFile: repo + "/Package.swift", encoding: .utf8)) ?? ""
        let regex = /\.executable\(name: *"([^"]+)"/
        return text.matches(of: regex).map { String($0.1) }
    }

    @Test func packageBuildsInstallsAndRuns() throws {
        let work = NSTemporaryDirectory() + "tapestry-pkg-test-\(getpid())"
        Shell.run("rm -rf \(work) && mkdir -p \(work)/root")
        defer { Shell.run("rm -rf \(work)") }

        // 1. Build (once).
        let build = Shell.run("\(Self.repo)/Tools/package --output \(work)/out", timeout: 2400)
        try #require(build.ok, "Tools/package failed: \(build)")
        let deb = build.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let version = Shell.run("dpkg-deb -f \(deb) Version").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!version.isEmpty && deb == "\(work)/out/tapestry_\(version)_amd64.deb", "unexpected package path \(deb) (version \(version))")

        // 2. What it holds.
        let list = Shell.run("dpkg-deb -c \(deb) | awk '{ print $6 }'")
        try #require(list.ok, "\(list)")
        let files = Set(list.stdout.split(separator: "\n").map(String.init))
        var expected = ["./usr/lib/tapestry/qemu-ifup", "./usr/lib/tapestry/qemu-ifdown",
                        "./etc/tapestry/tapestryd.conf", "./etc/tapestry/qemu/qemu-ifup-default",
                        "./lib/systemd/system/tapestryd.service",
                        "./usr/share/bash-completion/completions/tapestry", "./usr/share/zsh/vendor-completions/_tapestry",
                        "./usr/share/fish/vendor_completions.d/tapestry.fish",
                        "./usr/share/man/man1/tapestry.1.gz", "./usr/share/man/man8/tapestryd.8.gz",
                        "./usr/share/man/man5/tapestry-topology.5.gz", "./usr/share/doc/tapestry/copyright"]
        for p in Self.products() { expected.append(p == "tapestryd" ? "./usr/sbin/tapestryd" : "./usr/bin/\(p)") }
        for f in expected { #expect(files.contains(f), "\(f) is not in the package; it has:\n\(list.stdout)") }
        let depends = Shell.run("dpkg-deb -f \(deb) Depends").stdout
        for p in ["libnl-route-3-200", "libnl-3-200", "libpcap0.8", "dnsmasq-base", "radvd", "nftables", "iproute2"] {
            #expect(depends.contains(p), "Depends lacks \(p): \(depends)")
        }
        #expect(!depends.contains("swift"), "a static-stdlib build must not depend on a Swift runtime package: \(depends)")
        #expect(Shell.run("dpkg-deb -I \(deb) conffiles").stdout.contains("/etc/tapestry/tapestryd.conf"))
        let info = Shell.run("dpkg-deb -I \(deb) postrm").stdout
        #expect(info.contains("purge)") && info.contains("rm -rf /var/lib/tapestry"), "postrm must remove the state only on purge:\n\(info)")

        // 3. Extract and look at it as installed.
        let root = "\(work)/root"
        try #require(Shell.run("dpkg -x \(deb) \(root)").ok)
        for p in Self.products() {
            let path = p == "tapestryd" ? "\(root)/usr/sbin/\(p)" : "\(root)/usr/bin/\(p)"
            let ldd = Shell.run("ldd \(path)")
            #expect(!ldd.stdout.contains("libswift") && !ldd.stdout.contains("libFoundation"), "\(p) loads a shared Swift runtime:\n\(ldd.stdout)")
            #expect(!ldd.stdout.contains("not found"), "\(p) misses a library:\n\(ldd.stdout)")
        }
        // The unit: systemd's own checker, on the extracted root (nothing is started).
        // (A copy whose ExecStart names the extracted binary; the man pages are not in the host's man path.)
        let unit = try String(contentsOfFile: "\(root)/lib/systemd/system/tapestryd.service", encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(work)/unit", withIntermediateDirectories: true)
        try unit.replacingOccurrences(of: "ExecStart=/usr/sbin/tapestryd", with: "ExecStart=\(root)/usr/sbin/tapestryd")
            .write(toFile: "\(work)/unit/tapestryd.service", atomically: true, encoding: .utf8)
        let verify = Shell.run("systemd-analyze verify --man=no \(work)/unit/tapestryd.service 2>&1")
        #expect(verify.ok && !verify.stdout.contains("tapestryd.service:"), "systemd-analyze verify: \(verify)")
        for line in ["Type=notify", "After=network-pre.target", "Restart=on-failure", "StateDirectory=tapestry",
                     "RuntimeDirectory=tapestry", "ProtectSystem=strict", "ExecStart=/usr/sbin/tapestryd --config /etc/tapestry/tapestryd.conf"] {
            #expect(unit.contains(line + "\n"), "the unit lacks \(line)")
        }
        #expect(unit.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW"))
        // Completions load in bash and complete a verb.
        let bash = Shell.run("""
            bash -c 'source \(root)/usr/share/bash-completion/completions/tapestry && complete -p tapestry && \
            fn=$(complete -p tapestry | sed -n "s/.*-F \\([^ ]*\\) .*/\\1/p") && \
            COMP_WORDS=(tapestry add-) COMP_CWORD=1 COMP_LINE="tapestry add-" COMP_POINT=13 && $fn && printf "%s\\n" "${COMPREPLY[@]}"'
            """)
        #expect(bash.ok && bash.stdout.contains("add-br") && bash.stdout.contains("add-port"), "bash completion: \(bash)")
        // Man pages render without warnings.
        for page in ["man1/tapestry.1.gz", "man8/tapestryd.8.gz", "man5/tapestry-topology.5.gz"] {
            let man = Shell.run("MANWIDTH=100 man -l \(root)/usr/share/man/\(page) 2>\(work)/man.err; cat \(work)/man.err >&2")
            #expect(man.ok && man.stdout.contains("NAME") && man.stderr.isEmpty, "man -l \(page): \(man)")
        }

        // 4. The installed programs, against a daemon in a namespace of this test.
        guard NetnsWorld.isAvailable else {
            print("PackageTests: not root — the installed daemon is not started (run Tools/test as root)")
            return
        }
        let world = NetnsWorld("pkg")
        defer { world.close() }
        let host = world.namespace("host")
        let dir = world.tempDirectory
        let notifyPath = "\(dir)/notify.sock"
        let notify = try UnixDatagramReader(path: notifyPath)
        defer { notify.close() }
        // The file says one socket; the command line says another: the command line wins.
        try """
            run-dir = \(dir)/run
            state-dir = \(dir)/state
            socket = \(dir)/from-file.sock
            socket-group = nogroup
            log-level = info
            """.write(toFile: "\(dir)/tapestryd.conf", atomically: true, encoding: .utf8)
        let socket = "\(dir)/run/tapestryd.sock"
        let pid = world.spawn(host, "NOTIFY_SOCKET=\(notifyPath) exec \(root)/usr/sbin/tapestryd --config \(dir)/tapestryd.conf --socket \(socket) 2>\(dir)/d.log")
        defer { kill(pid, SIGTERM) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let ready: String? = buffer.withUnsafeMutableBytes { raw in
            if case .datagram(let n) = notify.receive(into: raw, timeoutMilliseconds: 10_000) {
                return String(decoding: raw.prefix(n), as: UTF8.self)
            }
            return nil
        }
        let log = { (try? String(contentsOfFile: "\(dir)/d.log", encoding: .utf8)) ?? "" }
        try #require(ready?.hasPrefix("READY=1") == true, "no READY=1 from tapestryd: \(ready ?? "nothing"); log:\n\(log())")
        #expect(ready?.contains("MAINPID=\(pid)") == true, "\(ready ?? "")")
        #expect(FileManager.default.fileExists(atPath: socket) && !FileManager.default.fileExists(atPath: "\(dir)/from-file.sock"),
                "--socket on the command line must override socket= in the file")
        let mode = Shell.run("stat -c '%a %G' \(socket) \(dir)/run").stdout
        #expect(mode == "660 nogroup\n750 nogroup\n", "socket and run dir must be 0660/0750 with the file's socket-group: \(mode)")

        let cli = "ip netns exec \(host) env TAPESTRY_SOCKET=\(socket) \(root)/usr/bin/tapestry"
        #expect(Shell.run("\(cli) --version").stdout.contains(version))
        #expect(Shell.run("\(cli) add-br br0").ok)
        let vm = world.namespace("vm")
        #expect(Shell.run("\(cli) add-port br0 vm1 --type tap --netns \(vm)").ok)
        // QEMU's ifup helper from its installed place attaches an existing netdev as a system port.
        try #require(world.exec(host, "ip link add qtap0 type veth peer name qtap0p && ip link set qtap0 up").ok)
        let ifup = world.exec(host, "TAPESTRY_SOCKET=\(socket) TAPESTRY_CLI=\(root)/usr/bin/tapestry TAPESTRY_BRIDGE=br0 \(root)/usr/lib/tapestry/qemu-ifup qtap0")
        #expect(ifup.ok, "qemu-ifup: \(ifup)")
        let show = Shell.run("\(cli) show br0")
        #expect(show.ok && show.stdout.contains("vm1") && show.stdout.contains("qtap0"), "show: \(show)")
        let ifdown = world.exec(host, "TAPESTRY_SOCKET=\(socket) TAPESTRY_CLI=\(root)/usr/bin/tapestry TAPESTRY_BRIDGE=br0 \(root)/usr/lib/tapestry/qemu-ifdown qtap0")
        #expect(ifdown.ok && !Shell.run("\(cli) show br0").stdout.contains("qtap0"), "qemu-ifdown: \(ifdown)")
        #expect(world.exec(vm, "ip link show vm1").ok, "the tap is not in the VM namespace")

        // A bad configuration file stops the daemon before it starts, naming file and line.
        try "log-level = info\nsockt = /x\n".write(toFile: "\(dir)/bad.conf", atomically: true, encoding: .utf8)
        let bad = world.exec(host, "\(root)/usr/sbin/tapestryd --config \(dir)/bad.conf --run-dir \(dir)/r2 --state-dir \(dir)/s2")
        #expect(bad.status == 1 && bad.stderr.contains("\(dir)/bad.conf:2: unknown key 'sockt'"), "\(bad)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/r2"), "a refused configuration must change nothing")

        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
        #expect(log().contains("shutting down"), "log:\n\(log())")
    }
}
