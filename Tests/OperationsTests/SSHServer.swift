import Foundation
import TestSupport

/// An OpenSSH server for one test, inside a namespace of the test's world: its own host key, a
/// client key made for the test, authorized for the users named, on `address:2222`. Stopped by
/// the world's cleanup (its pid is the world's). Nil when Debian's openssh-server is missing.
struct SSHServer {
    let address: String
    let port = 2222
    let clientKey: String
    /// `TAPESTRY_SSH` for the client: no user config, no prompts, the test's key.
    var sshCommand: String { "ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=10 -i \(clientKey)" }

    static var sshdPath: String? { FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") ? "/usr/sbin/sshd" : nil }

    init(world: NetnsWorld, namespace ns: String, address: String, users: [String], name: String = "sshd") throws {
        guard let sshd = SSHServer.sshdPath else { throw TestWorldError("openssh-server is not installed (/usr/sbin/sshd)") }
        self.address = address
        let dir = "\(world.tempDirectory)/\(name)"
        clientKey = "\(dir)/client_ed25519"
        let setup = Shell.run("""
            mkdir -p \(dir)/keys /run/sshd && chmod 755 \(world.tempDirectory) \(dir) \(dir)/keys && \
            ssh-keygen -q -t ed25519 -N '' -f \(dir)/host_ed25519 && ssh-keygen -q -t ed25519 -N '' -f \(clientKey)
            """)
        guard setup.ok else { throw TestWorldError("ssh keys: \(setup)") }
        for u in users {
            guard Shell.run("cp \(clientKey).pub \(dir)/keys/\(u) && chmod 644 \(dir)/keys/\(u)").ok else { throw TestWorldError("key for \(u)") }
        }
        try """
            Port \(port)
            ListenAddress \(address)
            HostKey \(dir)/host_ed25519
            PidFile \(dir)/sshd.pid
            AuthorizedKeysFile \(dir)/keys/%u
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            PrintMotd no
            LogLevel VERBOSE
            """.write(toFile: "\(dir)/sshd_config", atomically: true, encoding: .utf8)
        let check = Shell.run("\(sshd) -t -f \(dir)/sshd_config")
        guard check.ok else { throw TestWorldError("sshd -t: \(check)") }
        _ = world.spawn(ns, "exec \(sshd) -D -e -f \(dir)/sshd_config 2>\(dir)/sshd.log")
        for _ in 0..<100 {
            if world.exec(ns, "ss -ltn | grep -q '\(address):\(port) '").ok { return }
            usleep(50_000)
        }
        throw TestWorldError("sshd did not listen on \(address):\(port): \((try? String(contentsOfFile: "\(dir)/sshd.log", encoding: .utf8)) ?? "")")
    }

    /// `ssh://user@address:port/socket?…` for `--connect`.
    func url(user: String, socket: String, tapestry: String) -> String {
        "ssh://\(user)@\(address):\(port)\(socket)?no_verify=1&keyfile=\(clientKey)&command=\(tapestry)"
    }
}
