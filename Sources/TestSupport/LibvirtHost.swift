import Foundation
import HostSystem

/// A private libvirtd (with its virtlogd) for one integration test, run inside a namespace of a
/// `NetnsWorld` and inside a mount namespace of its own: its config, run, state, cache and log
/// folders (`/etc/libvirt`, `/run/libvirt`, `/var/lib/libvirt`, …) are bind mounts of folders
/// under the world's temp directory, so several can run at once and nothing of the host's libvirt
/// is touched. `ovs-vsctl` first in its PATH is a wrapper running `tapestry-ovs-vsctl` against
/// the given tapestryd socket (libvirt passes no environment but PATH to what it runs).
/// `stop()` destroys the running domains, then ends libvirtd and virtlogd by pid.
public final class LibvirtHost: @unchecked Sendable {
    public static let libvirtd = "/usr/sbin/libvirtd"
    public static let virtlogd = "/usr/sbin/virtlogd"
    public static let virshBinary = "/usr/bin/virsh"

    /// Whether libvirtd, virtlogd and virsh are installed (Tools/install-deps installs them).
    public static var isAvailable: Bool {
        [libvirtd, virtlogd, virshBinary].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The libvirt folders that get a private copy, with the name of that copy.
    static let mounts = [("etc", "/etc/libvirt"), ("run", "/run/libvirt"), ("lib", "/var/lib/libvirt"),
                         ("cache", "/var/cache/libvirt"), ("log", "/var/log/libvirt")]

    public let directory: String
    public let namespace: String
    /// Every `ovs-vsctl` call libvirt made, one line each (the wrapper appends its argv).
    public let ovsCallLog: String
    public private(set) var pid: Int32 = -1
    private var logPid: Int32 = -1

    /// The connection URI of this libvirtd (the system driver over its private socket).
    public var uri: String { "qemu:///system?socket=\(directory)/run/libvirt-sock" }

    /// Starts libvirtd and virtlogd in `ns`; `tapestrySocket` is the tapestryd the compat command talks to.
    public init(world: NetnsWorld, namespace ns: String, tapestrySocket: String) throws {
        directory = world.tempDirectory + "/libvirt"
        namespace = ns
        ovsCallLog = directory + "/ovs-vsctl-calls.log"
        try? FileManager.default.removeItem(atPath: directory)
        let fm = FileManager.default
        for (name, _) in LibvirtHost.mounts + [("bin", ""), ("images", "")] {
            try fm.createDirectory(atPath: "\(directory)/\(name)", withIntermediateDirectories: true)
        }
        try LibvirtHost.writeConfig(directory: directory)
        try LibvirtHost.writeIdentities(directory: directory)
        try LibvirtHost.writeWrapper(directory: directory, socket: tapestrySocket, log: ovsCallLog)
        // The mount points themselves (what the packages would create; empty folders on the host).
        for (_, target) in LibvirtHost.mounts {
            guard (try? fm.createDirectory(atPath: target, withIntermediateDirectories: true)) != nil || fm.fileExists(atPath: target) else {
                throw TestWorldError("cannot create mount point \(target)")
            }
        }
        var script = ["set -e"]
        for (name, target) in LibvirtHost.mounts { script.append("mount --bind \(directory)/\(name) \(target)") }
        script += ["mount --bind \(directory)/passwd /etc/passwd", "mount --bind \(directory)/group /etc/group",
                   "export PATH=\(directory)/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "\(LibvirtHost.virtlogd) -d -p \(directory)/virtlogd.pid",
                   "exec \(LibvirtHost.libvirtd) -d -f /etc/libvirt/libvirtd.conf -p \(directory)/libvirtd.pid"]
        try script.joined(separator: "\n").write(toFile: directory + "/start.sh", atomically: true, encoding: .utf8)
        let out = Shell.run("ip netns exec \(ns) unshare -m --propagation private sh \(directory)/start.sh >\(directory)/start.log 2>&1",
                            timeout: 30)
        guard out.ok else { throw TestWorldError("libvirtd did not start: \(out)\n\(text("start.log"))") }
        logPid = readPid("virtlogd.pid")
        for _ in 0..<100 {
            pid = readPid("libvirtd.pid")
            if pid > 0, virsh("version").ok { return }
            usleep(100_000)
        }
        let why = text("log/libvirtd.log").split(separator: "\n").filter { $0.contains("error") }.suffix(5).joined(separator: "\n")
        stop()
        throw TestWorldError("libvirtd did not answer at \(uri); its errors:\n\(why)")
    }

    deinit { stop() }

    /// Runs virsh against this libvirtd (from the test's own namespace: only the socket is needed).
    @discardableResult
    public func virsh(_ args: String...) -> Shell.Output { virsh(args) }

    @discardableResult
    public func virsh(_ args: [String], timeout: Double = 60) -> Shell.Output {
        Shell.run("\(LibvirtHost.virshBinary) -q -c \(Shell.quote(uri)) " + args.map(Shell.quote).joined(separator: " "), timeout: timeout)
    }

    /// Writes `xml` to a file and runs `virsh VERB FILE` (define, net-define, update-device DOMAIN …).
    @discardableResult
    public func virsh(_ verb: [String], xml: String, after: [String] = []) -> Shell.Output {
        let file = "\(directory)/\(UUID().uuidString).xml"
        guard (try? xml.write(toFile: file, atomically: true, encoding: .utf8)) != nil else {
            return Shell.Output(status: 125, stdout: "", stderr: "cannot write \(file)")
        }
        return virsh(verb + [file] + after)
    }

    /// QEMU's pid for a running domain (libvirt's pid file), or -1.
    public func qemuPid(_ domain: String) -> Int32 { readPid("run/qemu/\(domain).pid") }

    /// libvirt's log of a domain's QEMU.
    public func qemuLog(_ domain: String) -> String { text("log/qemu/\(domain).log") }

    /// The lines libvirtd logged at level error.
    public var errors: String {
        text("log/libvirtd.log").split(separator: "\n").filter { $0.contains(" error : ") }.suffix(10).joined(separator: "\n")
    }

    /// The ovs-vsctl calls libvirt made so far.
    public var ovsCalls: [String] { text("ovs-vsctl-calls.log").split(separator: "\n").map(String.init) }

    /// Destroys running domains, then SIGTERM (SIGKILL after 5 s) libvirtd and virtlogd by pid.
    public func stop() {
        guard pid > 0 || logPid > 0 else { return }
        if pid > 0 {
            for name in virsh("list", "--name").stdout.split(separator: "\n") where !name.isEmpty {
                virsh("destroy", String(name))
            }
            ProcessControl.terminate(pid, grace: 5)
        }
        ProcessControl.terminate(logPid, grace: 5)
        pid = -1; logPid = -1
    }

    private func text(_ file: String) -> String {
        (try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)) ?? ""
    }

    private func readPid(_ file: String) -> Int32 {
        Int32(text(file).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}
