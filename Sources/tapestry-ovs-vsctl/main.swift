import ControlProtocol
import Foundation
import HostSystem
import OVSCompat

// tapestry-ovs-vsctl: ovs-vsctl's command line over tapestryd. Installed as `ovs-vsctl` (first in
// libvirtd's PATH) it lets libvirt attach domains with <virtualport type='openvswitch'/> to Tapestry.
// Reads the configuration (`show`), runs the commands on a working copy, sends the difference as
// one transaction that holds only if nothing changed meanwhile (else reads again, up to 5 times).

let program = URL(fileURLWithPath: CommandLine.arguments.first ?? "ovs-vsctl").lastPathComponent

func fail(_ message: String, status: Int32 = 1) -> Never {
    if !message.isEmpty { FileHandle.standardError.write(Data("\(program): \(message)\n".utf8)) }
    exit(status)
}

/// One JSON-RPC call to tapestryd.
func call<M: RPCMethod>(_: M.Type, _ params: M.Params, socket: String, timeout: Int) throws -> M.Result {
    var line = try JSONEncoder().encode(RPCRequest(id: .number(1), method: M.name, params: params))
    line.append(UInt8(ascii: "\n"))
    let reply: [UInt8]
    do {
        let client = try UnixStreamClient(path: socket, timeout: .seconds(timeout))
        reply = try client.exchange(Array(line), replyLimit: 64 << 20)
    } catch {
        switch error {
        case .notListening: throw OVSError("cannot reach tapestryd at \(socket): not running (set --socket or $TAPESTRY_SOCKET)")
        case .denied: throw OVSError("cannot reach tapestryd at \(socket): permission denied")
        case .timedOut: throw OVSError("no reply from tapestryd at \(socket) within \(timeout) s")
        default: throw OVSError("cannot talk to tapestryd at \(socket): \(error)")
        }
    }
    let response = try JSONDecoder().decode(RPCResponse<M.Result>.self, from: Data(reply))
    if let error = response.error { throw error }
    guard let result = response.result else { throw OVSError("tapestryd sent an empty reply") }
    return result
}

/// Whether any command may print Interface statistics (then the counters are fetched).
func wantsStatistics(_ line: OVSCommandLine) -> Bool {
    line.commands.contains { c in
        guard ["list", "find", "get"].contains(c.verb), let t = c.arguments.first,
              (try? OVSTable.named(t)) == .interface else { return false }
        let columns = (c.options["columns"] ?? "") + " " + c.arguments.joined(separator: " ")
        return c.options["columns"] == nil && c.verb != "get" || columns.contains("stat")
    }
}

let line: OVSCommandLine
do { line = try OVSCommandLine(Array(CommandLine.arguments.dropFirst())) } catch { fail(error.message, status: error.status) }
if line.global.help { print(OVSHelp.text(program: program), terminator: ""); exit(0) }
if line.global.version { print("\(program) (Tapestry) 0.1.0 — ovs-vsctl compatible"); exit(0) }

let socket = line.global.socket ?? ProcessInfo.processInfo.environment["TAPESTRY_SOCKET"] ?? "/run/tapestry/tapestryd.sock"
let timeout = (line.global.timeout ?? 0) > 0 ? line.global.timeout ?? 30 : 30

do {
    for _ in 0..<5 {
        let show = try call(Methods.Show.self, ShowParams(), socket: socket, timeout: timeout)
        var db = OVSDatabase(show: show, makeUUID: { UUID().uuidString.lowercased() })
        if wantsStatistics(line) {
            for b in show.bridges {
                guard let s = try? call(Methods.Stats.self, StatsParams(bridge: b.name), socket: socket, timeout: timeout) else { continue }
                for p in s.ports {
                    db.statistics[p.port] = ["rx_packets": Int(p.rxPackets), "rx_bytes": Int(p.rxBytes), "tx_packets": Int(p.txPackets),
                                             "tx_bytes": Int(p.txBytes), "rx_dropped": Int(p.drops.values.reduce(0, +)),
                                             "tx_dropped": 0, "rx_errors": 0, "tx_errors": 0]
                }
            }
        }
        let outputs = try db.execute(line)
        let operations = try db.plan()
        if !operations.isEmpty && !line.global.dryRun {
            do {
                _ = try call(Methods.Transaction.self, TransactionParams(operations: operations, expectGeneration: show.generation),
                             socket: socket, timeout: timeout)
            } catch let e as RPCError where e.code == RPCError.generationMismatch {
                continue
            }
        }
        print(outputs.joined(), terminator: "")
        exit(0)
    }
    fail("transaction error: the configuration kept changing; gave up after 5 attempts")
} catch let e as OVSError {
    fail(e.message, status: e.status)
} catch let e as RPCError {
    fail("transaction error: \(e.message)")
} catch {
    fail("\(error)")
}
