import ClusterModel
import Foundation
import TapestryModel

/// `cluster status` and `cluster fdb`.
enum ClusterStatus {
    struct HostRow: Codable {
        var host: String
        var alive: Bool
        var underlay: String?
        var version: String?
        var appliedRevision: Int64
        var converged: Bool
        var error: String?
    }
    struct SegmentRow: Codable {
        var segment: String
        var vni: Int
        var bridge: String
        var vteps: [String]
    }
    struct Status: Codable {
        var cluster: String
        var fabricRevision: Int64
        var hosts: [HostRow]
        var segments: [SegmentRow]
        var problems: [String]
    }

    static func run(etcd: ClusterCLIOptions, format: OutputFormat) throws {
        let status = try ClusterSession.run(etcd, verb: "show status of cluster \(etcd.name)") { s -> Status in
            let (view, _) = try await s.read()
            return summary(view)
        }
        if format == .json { print(String(decoding: try encoder().encode(status), as: UTF8.self)); return }
        print("cluster \(status.cluster), fabric revision \(status.fabricRevision)")
        let rows = status.hosts.map { h -> [String] in
            let converged: String = h.converged ? "yes" : (h.error.map { "no: " + $0 } ?? "no")
            return [h.host, h.alive ? "yes" : "no", h.underlay ?? "-", h.version ?? "-", String(h.appliedRevision), converged]
        }
        print(ClusterTable.render(["host", "alive", "underlay", "version", "applied", "converged"], rows))
        print(ClusterTable.render(["segment", "VNI", "bridge", "VTEPs"], status.segments.map { [$0.segment, String($0.vni), $0.bridge, $0.vteps.joined(separator: " ")] }))
        for p in status.problems { print("problem: \(p)") }
    }

    static func summary(_ view: ClusterView) -> Status {
        let names = Set(view.hosts.keys).union(view.hostFabrics.keys).sorted()
        let hosts = names.map { h -> HostRow in
            let r = view.hosts[h]
            let converged = r != nil && r?.error == nil && (r?.appliedRevision ?? 0) >= view.fabricRevision
            return HostRow(host: h, alive: r != nil, underlay: (r?.underlay ?? view.hostFabrics[h]?.underlay)?.description,
                           version: r?.version, appliedRevision: r?.appliedRevision ?? 0, converged: converged, error: r?.error)
        }
        let segments = view.segments.values.sorted { $0.name < $1.name }.map { s in
            SegmentRow(segment: s.name, vni: s.vni, bridge: s.bridge,
                       vteps: s.hosts.filter { view.hosts[$0] != nil }.compactMap { view.hosts[$0]?.underlay.description })
        }
        return Status(cluster: view.keys.cluster, fabricRevision: view.fabricRevision, hosts: hosts, segments: segments,
                      problems: view.problems.values.sorted())
    }

    struct FDBRow: Codable {
        var vlan: Int
        var mac: String
        var host: String
        var vtep: String
        /// The IPv4 and IPv6 addresses published with the MAC (`--arp-suppress`); absent when none.
        var ips: [String]?
    }

    static func fdb(segment: String, etcd: ClusterCLIOptions, format: OutputFormat) throws {
        let rows = try ClusterSession.run(etcd, verb: "show MACs of segment \(segment)") { s -> [FDBRow] in
            let (view, _) = try await s.read()
            guard view.segments[segment] != nil else {
                throw CLIError(message: "could not show MACs of segment \(segment): no such segment in cluster \(s.keys.cluster) (segments: \(view.segments.keys.sorted().joined(separator: ", ")))")
            }
            return view.macs.filter { $0.key.segment == segment }.sorted { $0.key < $1.key }.map {
                FDBRow(vlan: Int($0.key.vlan.value), mac: $0.key.mac.description, host: $0.value.host, vtep: $0.value.vtep.description,
                       ips: $0.value.ips.isEmpty && $0.value.ip6s.isEmpty ? nil : $0.value.ips.map(\.description) + $0.value.ip6s.map(\.description))
            }
        }
        if format == .json { print(String(decoding: try encoder().encode(rows), as: UTF8.self)); return }
        print(ClusterTable.render(["VLAN", "MAC", "host", "VTEP", "IPs"],
                                  rows.map { [String($0.vlan), $0.mac, $0.host, $0.vtep, ($0.ips ?? []).joined(separator: " ")] }))
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }
}

/// Plain aligned columns.
enum ClusterTable {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { r in r.indices.map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
            .joined(separator: "\n")
    }
}
