import ArgumentParser
import Foundation

/// `tapestry doctor [--format json]`: checks the kernel features, the helper programs, the daemon
/// (socket, running, version) and every port's netdev, printing each finding with what to do.
/// Exit status 1 when something is wrong. With `--connect` it runs on the remote host.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check the host, the daemon and every port; say what to fix.",
        discussion: """
            Checks the kernel features Tapestry uses (tun/tap, vnet headers, multi-queue, AF_PACKET, UDP GSO/GRO, \
            nftables, namespaces), the helpers (dnsmasq, radvd, nft, ip) in PATH with their versions, the daemon \
            (socket permissions, running, same version as this CLI) and each port's netdev (present, in the right \
            namespace, up, offloads). Exit status 1 when a problem is found; warnings alone exit 0. Run it as root.
            """)

    @OptionGroup var options: GlobalOptions

    var context: CommandContext { CommandContext(verb: "doctor") }

    func run() throws {
        if let target = try options.remoteTarget(context: context) {
            try RemoteVerb.run(target, ["doctor", "--format", options.format.rawValue], context: context)
        }
        var findings = HostProbe.kernel() + HostProbe.helpers()
        let probe = DaemonProbe(socketPath: options.socketPath)
        let daemon = probe.daemon(into: &findings)
        if let daemon { probe.ports(of: daemon, into: &findings) }
        let report = DoctorReport(cliVersion: Tapestry.version, daemonVersion: daemon?.version, findings: findings)
        switch options.format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self))
        case .table:
            print(report.text)
        }
        fflush(nil)
        if !report.healthy { Foundation.exit(1) }
    }
}
