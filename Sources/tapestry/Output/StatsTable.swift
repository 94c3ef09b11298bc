import ControlProtocol

/// `stats` as text: a block per port with its counters and each non-zero drop reason.
/// ```
/// Port vm1
///   rx packets               120
///   rx bytes               11760
///   tx packets               118
///   tx bytes               11564
///   drops                      2
///     tagged-on-access         2
/// ```
/// A vhost-user port also lists each queue pair (`queue 0 rx packets`, …: rx from the guest's
/// transmit queue of the pair, tx into its receive queue).
enum StatsTable {
    static func lines(_ result: StatsResult) -> [String] {
        var out: [String] = []
        for (i, port) in result.ports.enumerated() {
            if i > 0 { out.append("") }
            out.append("Port \(port.port)")
            var table = TextTable([.left, .right])
            table.append(["rx packets", String(port.rxPackets)])
            table.append(["rx bytes", String(port.rxBytes)])
            table.append(["tx packets", String(port.txPackets)])
            table.append(["tx bytes", String(port.txBytes)])
            if let answered = port.arpAnswered { table.append(["arp answered", String(answered)]) }
            table.append(["drops", String(port.drops.values.reduce(0, &+))])
            for (reason, count) in port.drops.sorted(by: { $0.key < $1.key }) where count > 0 {
                table.append(["  \(reason)", String(count)])
            }
            for q in port.vhostQueues ?? [] {
                table.append(["queue \(q.queue) rx packets", String(q.rxPackets)])
                table.append(["queue \(q.queue) rx bytes", String(q.rxBytes)])
                table.append(["queue \(q.queue) tx packets", String(q.txPackets)])
                table.append(["queue \(q.queue) tx bytes", String(q.txBytes)])
            }
            out += table.lines(indent: "  ")
        }
        return out
    }
}
