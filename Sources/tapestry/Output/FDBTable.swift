import ControlProtocol

/// `fdb-show` as text, in the manner of `ovs-appctl fdb/show`:
/// ```
///  port  VLAN  MAC                Age
///   vm1    10  52:54:00:00:00:01    3
///   vm2    10  52:54:00:00:00:02  static
/// ```
enum FDBTable {
    static func lines(_ result: FDBShowResult) -> [String] {
        var table = TextTable([.right, .right, .left, .right])
        table.minimumWidths = [5, 4, 17, 3]
        table.append(["port", "VLAN", "MAC", "Age"])
        for entry in result.entries {
            table.append([entry.port, String(entry.vlan), entry.mac, entry.isStatic ? "static" : String(entry.age)])
        }
        return table.lines()
    }
}
