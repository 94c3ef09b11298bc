import ArgumentParser
import ClusterModel
import EtcdClient
import Foundation
import Topology

/// `tapestry cluster apply FILE | plan FILE | status | fdb SEGMENT`: the fabric of a cluster of
/// tapestryd hosts, kept in etcd.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "The fabric of a cluster of tapestryd hosts, kept in etcd: apply FILE, plan FILE, status, fdb SEGMENT.",
        discussion: """
            apply writes a topology file's fabric (segments, each host's bridges and ports) in one etcd \
            transaction; every host converges to its part. plan shows the difference to what etcd holds. \
            status shows the hosts (alive, version, the revision each has applied), segments and their VTEPs. \
            fdb SEGMENT shows the MACs the hosts published, each behind its VTEP (with the IPv4 addresses published for ARP suppression).
            """)

    @Argument(help: ArgumentHelp("apply FILE | plan FILE | status | fdb SEGMENT", valueName: "action"))
    var words: [String]

    @Option(help: ArgumentHelp("With apply: wait up to this many seconds until every host of the file has converged.", valueName: "seconds"))
    var wait: Double?

    @OptionGroup var etcd: ClusterCLIOptions
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        let usage = "expected apply FILE, plan FILE, status or fdb SEGMENT"
        switch (words.first, words.count) {
        case ("apply", 2), ("plan", 2), ("status", 1), ("fdb", 2): break
        case (let w?, _): throw ValidationError("could not run cluster \(w): \(usage)")
        default: throw ValidationError("could not run cluster: \(usage)")
        }
    }

    func run() throws {
        switch words[0] {
        case "apply": try ClusterApply.run(file: words[1], etcd: etcd, wait: wait, format: options.format)
        case "plan": try ClusterApply.plan(file: words[1], etcd: etcd, format: options.format)
        case "status": try ClusterStatus.run(etcd: etcd, format: options.format)
        default: try ClusterStatus.fdb(segment: words[1], etcd: etcd, format: options.format)
        }
    }
}
