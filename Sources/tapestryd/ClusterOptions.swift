import ArgumentParser
import EtcdClient
import Foundation
import TapestryDaemon
import TapestryModel

/// `--cluster` and its companions: membership of a cluster whose fabric lives in etcd.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Join a cluster whose fabric is kept in etcd: its members' client URLs, etcd://H1:2379,H2:2379,…", valueName: "urls"))
    var cluster: String?

    @Option(help: ArgumentHelp("The cluster's name (its keys are under /tapestry/NAME/).", valueName: "name"))
    var clusterName: String = "default"

    @Option(help: ArgumentHelp("This host's name in the cluster (default: the system's host name).", valueName: "name"))
    var hostName: String?

    @Option(help: ArgumentHelp("This host's underlay address (IPv4 or IPv6): where the other hosts' tunnels reach it.", valueName: "address"))
    var underlay: String?

    @Option(help: ArgumentHelp("Seconds of the host's lease: its registration and MACs vanish that long after it dies (2-60).", valueName: "seconds"))
    var clusterTtl: Int64 = 3

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("ARP and neighbour discovery suppression: publish the IPv4/IPv6 addresses local VMs use (snooped from their ARP and neighbour discovery) with their MACs, and answer ARP requests and neighbour solicitations for the other hosts' addresses on the spot instead of flooding them."))
    var arpSuppress = false

    @Option(help: ArgumentHelp("PEM file of the CA that signed etcd's certificates (TLS to etcd).", valueName: "path"))
    var etcdCa: String?

    @Option(help: ArgumentHelp("PEM client certificate for etcd (with --etcd-key).", valueName: "path"))
    var etcdCert: String?

    @Option(help: ArgumentHelp("PEM key of --etcd-cert.", valueName: "path"))
    var etcdKey: String?

    @Option(help: ArgumentHelp("etcd user (etcd's auth), with --etcd-password-file.", valueName: "name"))
    var etcdUser: String?

    @Option(help: ArgumentHelp("File whose first line is the etcd user's password.", valueName: "path"))
    var etcdPasswordFile: String?

    func validate() throws {
        guard cluster != nil else {
            if underlay != nil || hostName != nil || arpSuppress { throw ValidationError("--underlay, --host-name and --arp-suppress need --cluster") }
            return
        }
        _ = try settings()
    }

    /// The settings, or nil without `--cluster`.
    func settings() throws -> ClusterSettings? {
        guard let cluster else { return nil }
        guard let text = underlay else { throw ValidationError("--cluster needs --underlay ADDRESS (this host's tunnel address)") }
        guard let address = IPAddress(strict: text) else {
            throw ValidationError("invalid --underlay '\(text)': expected an IPv4 or IPv6 address")
        }
        if let problem = UnderlayAddress.problem(IPNetwork(address: address, prefix: address.bitWidth)) {
            throw ValidationError("invalid --underlay '\(text)': not usable as a tunnel address (\(problem))")
        }
        guard (2...60).contains(clusterTtl) else { throw ValidationError("invalid --cluster-ttl \(clusterTtl): expected 2-60 seconds") }
        let host = hostName ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        for (what, name) in [("--cluster-name", clusterName), ("--host-name", host)] {
            guard !name.isEmpty, name.utf8.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ValidationError("invalid \(what) '\(name)': 1-63 letters, digits, '-', '_', '.'")
            }
        }
        var password: String?
        if let file = etcdPasswordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read --etcd-password-file \(file)") }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        if (etcdUser == nil) != (password == nil) { throw ValidationError("--etcd-user and --etcd-password-file go together") }
        let tls = (etcdCa != nil || etcdCert != nil || etcdKey != nil)
            ? EtcdConfiguration.TLSFiles(caFile: etcdCa, certFile: etcdCert, keyFile: etcdKey) : nil
        let etcd: EtcdConfiguration
        do { etcd = try EtcdConfiguration.parse(cluster, tls: tls, username: etcdUser, password: password) } catch {
            throw ValidationError("invalid --cluster '\(cluster)': \(error)")
        }
        return ClusterSettings(etcd: etcd, cluster: clusterName, host: host, underlay: address, leaseTTL: clusterTtl,
                               arpSuppress: arpSuppress)
    }
}
