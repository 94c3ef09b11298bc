import ControlProtocol
import Foundation
@testable import OVSCompat
import TapestryModel

/// The recorded libvirt command lines (Tests/Fixtures/libvirt-ovs, see Tests/Fixtures/README.md).
enum RecordedCalls {
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/libvirt-ovs/ovs-vsctl-calls.log").path
    }

    /// Each `ovs-vsctl` line as its arguments (without the program name), with the `###` action above it.
    static func lines() throws -> [(action: String, arguments: [String])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var action = ""
        var out: [(String, [String])] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("###") { action = String(line.dropFirst(4)); continue }
            guard line.hasPrefix("ovs-vsctl ") else { continue }
            out.append((action, try shellWords(String(line.dropFirst(10)))))
        }
        return out
    }

    /// Splits single-quoted words ('a' 'b c'), as the log writes them.
    static func shellWords(_ s: String) throws -> [String] {
        var words: [String] = []
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == " " { i = s.index(after: i); continue }
            guard s[i] == "'", let close = s[s.index(after: i)...].firstIndex(of: "'") else {
                throw OVSError("log line not made of quoted words: \(s)")
            }
            words.append(String(s[s.index(after: i)..<close]))
            i = s.index(after: close)
        }
        return words
    }
}

/// A database with the given bridges and ports; UUIDs of created rows count up.
func database(_ bridges: [BridgeConfig], records: [OVSRecord] = []) -> OVSDatabase {
    let show = ShowResult(generation: 7, bridges: bridges.map { b in
        BridgeStatus(name: b.name, mode: b.mode, macAging: 300, macTableSize: 8192, macCount: 0,
                     ports: b.ports.map { PortStatus(config: $0, state: "up", ifindex: 40, mac: MACAddress(rawValue: 0x5254_0000_0001)) }, staticMACs: [])
    }, ovsRecords: records.isEmpty ? nil : records)
    let counter = Counter()
    return OVSDatabase(show: show, makeUUID: { counter.next() })
}

final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> String {
        lock.withLock { n += 1; return String(format: "00000000-0000-4000-8000-%012d", n) }
    }
}

/// Runs one command line on `db`: its output and the plan; then `db` becomes the committed result.
@discardableResult
func run(_ db: inout OVSDatabase, _ args: [String]) throws(OVSError) -> (output: String, operations: [TransactionOperation]) {
    let line = try OVSCommandLine(args)
    var work = db
    let out = try work.execute(line).joined()
    let ops = try work.plan()
    let next = OVSDatabase(show: try work.committedShow(), makeUUID: db.makeUUID)
    db = next
    return (out, ops)
}

/// The port `name` as the committed state holds it.
func port(_ db: OVSDatabase, _ name: String) -> PortConfig? {
    guard let row = db.ports[name] else { return nil }
    return try? row.portConfig(records: db.records)
}
