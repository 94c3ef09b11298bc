import Foundation

/// The files a private libvirtd needs: its configuration, the users Debian's build expects, and
/// the `ovs-vsctl` wrapper.
extension LibvirtHost {
    /// libvirtd.conf without polkit (root only reaches the socket: it lies in the test's folder) and
    /// qemu.conf for a container: QEMU as root, no cgroups, no private /dev, no security driver.
    static func writeConfig(directory: String) throws {
        let libvirtd = """
            auth_unix_ro = "none"
            auth_unix_rw = "none"
            unix_sock_group = "root"
            unix_sock_rw_perms = "0660"
            log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
            log_filters = "1:qemu 1:util.command 3:object 3:json 3:event 3:rpc 3:util 3:conf"

            """
        let qemu = """
            user = "root"
            group = "root"
            dynamic_ownership = 0
            remember_owner = 0
            security_driver = "none"
            cgroup_controllers = [ ]
            namespaces = [ ]

            """
        try libvirtd.write(toFile: directory + "/etc/libvirtd.conf", atomically: true, encoding: .utf8)
        try qemu.write(toFile: directory + "/etc/qemu.conf", atomically: true, encoding: .utf8)
        try "".write(toFile: directory + "/etc/libvirt.conf", atomically: true, encoding: .utf8)
    }

    /// Copies of /etc/passwd and /etc/group with the `libvirt-qemu` user Debian's libvirt looks up at
    /// start even when qemu.conf says root (libvirt-daemon-system would add it to the host).
    static func writeIdentities(directory: String) throws {
        var passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        var group = try String(contentsOfFile: "/etc/group", encoding: .utf8)
        if !passwd.hasSuffix("\n") { passwd += "\n" }
        if !group.hasSuffix("\n") { group += "\n" }
        if !passwd.contains("\nlibvirt-qemu:") { passwd += "libvirt-qemu:x:64055:64055:libvirt qemu:/var/lib/libvirt:/usr/sbin/nologin\n" }
        if !group.contains("\nlibvirt-qemu:") { group += "libvirt-qemu:x:64055:\n" }
        if !group.contains("\nlibvirt:") { group += "libvirt:x:64056:\n" }
        if !group.contains("\nkvm:") { group += "kvm:x:64057:\n" }
        try passwd.write(toFile: directory + "/passwd", atomically: true, encoding: .utf8)
        try group.write(toFile: directory + "/group", atomically: true, encoding: .utf8)
    }

    /// `bin/ovs-vsctl`: logs its argv, then runs tapestry-ovs-vsctl against `socket`.
    static func writeWrapper(directory: String, socket: String, log: String) throws {
        let compat = NetnsWorld.binDirectory + "/tapestry-ovs-vsctl"
        guard FileManager.default.isExecutableFile(atPath: compat) else { throw TestWorldError("\(compat) is not built") }
        let script = """
            #!/bin/sh
            printf '%s\\n' "$*" >> \(Shell.quote(log))
            exec \(Shell.quote(compat)) --socket=\(Shell.quote(socket)) "$@"

            """
        let path = directory + "/bin/ovs-vsctl"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        guard chmod(path, 0o755) == 0 else { throw TestWorldError("chmod \(path) failed") }
    }
}
