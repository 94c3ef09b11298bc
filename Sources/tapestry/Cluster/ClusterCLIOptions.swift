import ArgumentParser
import EtcdClient
import Foundation

/// How the CLI reaches a cluster's etcd: `--cluster` (or `$TAPESTRY_CLUSTER`), its name, TLS and user.
struct ClusterCLIOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The cluster's etcd (default: $TAPESTRY_CLUSTER): etcd://H1:2379,H2:2379,…", valueName: "urls"))
    var cluster: String?

    @Option(help: ArgumentHelp("The cluster's name (default: $TAPESTRY_CLUSTER_NAME, else 'default').", valueName: "name"))
    var clusterName: String?

    @Option(help: ArgumentHelp("PEM file of the CA that signed etcd's certificates.", valueName: "path"))
    var etcdCa: String?

    @Option(help: ArgumentHelp("PEM client certificate for etcd.", valueName: "path"))
    var etcdCert: String?

    @Option(help: ArgumentHelp("PEM key of --etcd-cert.", valueName: "path"))
    var etcdKey: String?

    @Option(help: ArgumentHelp("etcd user, with --etcd-password-file.", valueName: "name"))
    var etcdUser: String?

    @Option(help: ArgumentHelp("File whose first line is the etcd user's password.", valueName: "path"))
    var etcdPasswordFile: String?

    var name: String {
        clusterName ?? ProcessInfo.processInfo.environment["TAPESTRY_CLUSTER_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }

    /// The etcd client settings, or a one-line refusal.
    func configuration(verb: String) throws(CLIError) -> EtcdConfiguration {
        guard let urls = cluster ?? ProcessInfo.processInfo.environment["TAPESTRY_CLUSTER"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CLIError(message: "could not \(verb): no cluster given (--cluster etcd://H1:2379,… or $TAPESTRY_CLUSTER)")
        }
        var password: String?
        if let file = etcdPasswordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CLIError(message: "could not \(verb): cannot read --etcd-password-file \(file)")
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        let tls = (etcdCa != nil || etcdCert != nil || etcdKey != nil) ? EtcdConfiguration.TLSFiles(caFile: etcdCa, certFile: etcdCert, keyFile: etcdKey) : nil
        do {
            var c = try EtcdConfiguration.parse(urls, tls: tls, username: etcdUser, password: password)
            c.requestTimeout = 3
            return c
        } catch {
            throw CLIError(message: "could not \(verb): invalid --cluster '\(urls)': \(error)")
        }
    }
}
