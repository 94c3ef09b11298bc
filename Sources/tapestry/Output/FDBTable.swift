import ControlProtocol

/// `fdb-show` as text, in the manner of `ovs-appctl fdb/show`:
/// ```
///  port  VLAN  MAC                Age
///   vm1    10  52:54:00:00:00:01    3
///   vm2    10  52:54:00:00:00:02  static
/// ```
enum FDBTable {
    static func lines(_ result: FDBShowResult) -> [String] {
        let tunnels = result.entries.contains { $0.remote != nil }
        var table = TextTable(tunnels ? [.right, .right, .left, .right, .left] : [.right, .right, .left, .right])
        table.minimumWidths = tunnels ? [5, 4, 17, 3, 6] : [5, 4, 17, 3]
        table.append(["port", "VLAN", "MAC", "Age"] + (tunnels ? ["remote"] : []))
        for entry in result.entries {
            let row = [entry.port, entry.vlan.description, entry.mac.description, entry.isStatic ? "static" : String(entry.age)]
            table.append(tunnels ? row + [entry.remote?.description ?? ""] : row)
        }
        return table.lines()
    }
}
