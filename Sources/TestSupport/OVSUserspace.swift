import Foundation
import HostSystem

/// An Open vSwitch of a test's own: ovsdb-server and ovs-vswitchd run inside one of the test's
/// namespaces with every file (database, sockets, pid files, logs, the bridges' management sockets)
/// in a private directory of the world; bridges use `datapath_type=netdev` (the userspace datapath,
/// no kernel module). Stopped by the pids in its pid files (checked against the private directory
/// in their command line), never by name; a system-wide Open vSwitch, if any, is never touched.
public final class OVSUserspace: @unchecked Sendable {
    public let world: NetnsWorld
    public let namespace: String
    public let directory: String
    private var stopped = false

    /// Whether Debian's openvswitch-switch is installed (ovsdb-server, ovs-vswitchd, ovsdb-tool,
    /// ovs-vsctl, ovs-appctl and the schema).
    public static var isAvailable: Bool {
        let tools = ["ovsdb-server", "ovs-vswitchd", "ovsdb-tool", "ovs-vsctl", "ovs-appctl"]
        return tools.allSatisfy { Shell.run("PATH=$PATH:/usr/sbin command -v \($0)").ok }
            && FileManager.default.fileExists(atPath: schema)
    }

    static let schema = "/usr/share/openvswitch/vswitch.ovsschema"

    /// The environment every OVS command of this instance runs with: its run, database, log and
    /// configuration directories are the private one.
    private var environment: String {
        "export PATH=$PATH:/usr/sbin OVS_RUNDIR=\(directory) OVS_DBDIR=\(directory) OVS_LOGDIR=\(directory) "
            + "OVS_SYSCONFDIR=\(directory); "
    }

    /// Creates the database and starts both daemons in `namespace`; `otherConfig` goes into the
    /// Open_vSwitch table before ovs-vswitchd starts. Throws (after stopping what started) when a step fails.
    public init(world: NetnsWorld, namespace: String, name: String = "ovs", otherConfig: [String] = []) throws {
        self.world = world
        self.namespace = namespace
        directory = world.tempDirectory + "/" + name
        let d = directory
        var steps = [
            "mkdir -p \(d) && ovsdb-tool create \(d)/conf.db \(OVSUserspace.schema)",
            "ovsdb-server \(d)/conf.db --remote=punix:\(d)/db.sock --pidfile=\(d)/ovsdb-server.pid "
                + "--unixctl=\(d)/ovsdb-server.ctl --log-file=\(d)/ovsdb-server.log --detach --no-chdir",
            "ovs-vsctl --db=unix:\(d)/db.sock --timeout=20 --no-wait init",
        ]
        steps += otherConfig.map { "ovs-vsctl --db=unix:\(d)/db.sock --timeout=20 --no-wait set Open_vSwitch . other_config:\($0)" }
        steps.append("ovs-vswitchd unix:\(d)/db.sock --pidfile=\(d)/ovs-vswitchd.pid --unixctl=\(d)/ovs-vswitchd.ctl "
                     + "--log-file=\(d)/ovs-vswitchd.log --detach --no-chdir")
        for s in steps {
            let r = world.exec(namespace, environment + s)
            guard r.ok else {
                stop()
                throw TestWorldError("Open vSwitch set-up failed: \(s): \(r)")
            }
        }
    }

    deinit { stop() }

    /// `ovs-vsctl` on this instance's database (waits for ovs-vswitchd to apply the change).
    @discardableResult
    public func vsctl(_ args: String) -> Shell.Output {
        world.exec(namespace, environment + "ovs-vsctl --db=unix:\(directory)/db.sock --timeout=20 \(args)")
    }

    /// `ovs-appctl` to this instance's ovs-vswitchd.
    @discardableResult
    public func appctl(_ args: String) -> Shell.Output {
        world.exec(namespace, environment + "ovs-appctl -t \(directory)/ovs-vswitchd.ctl --timeout=20 \(args)")
    }

    /// The tail of ovs-vswitchd's log, for failure messages.
    public func logTail(_ characters: Int = 1500) -> String {
        String(((try? String(contentsOfFile: directory + "/ovs-vswitchd.log", encoding: .utf8)) ?? "").suffix(characters))
    }

    /// Stops both daemons by the pids in their pid files (SIGTERM, then SIGKILL after a grace period).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        for name in ["ovs-vswitchd", "ovsdb-server"] {
            guard let text = try? String(contentsOfFile: "\(directory)/\(name).pid", encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { continue }
            ProcessControl.terminate(pid, grace: 3, marker: directory, reap: false)
        }
    }
}
