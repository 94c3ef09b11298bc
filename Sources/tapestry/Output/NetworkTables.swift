import ControlProtocol
import Foundation

/// The text forms of `net-list`, `net-info` and `net-dhcp-leases`, laid out as virsh does.
enum NetworkTables {
    static func yesNo(_ b: Bool) -> String { b ? "yes" : "no" }

    static func list(_ networks: [NetworkInfo]) -> [String] {
        var t = TextTable([.left, .left, .left, .left])
        t.append(["Name", "State", "Autostart", "Persistent"])
        for n in networks { t.append([n.name, n.active ? "active" : "inactive", yesNo(n.autostart), yesNo(n.persistent)]) }
        // As virsh prints it: one space in, a dashed rule under the heading.
        let lines = t.lines(indent: " ")
        let rule = String(repeating: "-", count: (lines.map(\.count).max() ?? 0) + 1)
        return [lines[0], rule] + lines.dropFirst()
    }

    static func info(_ n: NetworkInfo) -> [String] {
        var rows: [(String, String)] = [
            ("Name:", n.name), ("UUID:", n.uuid), ("Active:", yesNo(n.active)), ("Persistent:", yesNo(n.persistent)),
            ("Autostart:", yesNo(n.autostart)), ("Bridge:", n.bridge ?? "-"), ("Forward:", n.forwardMode),
        ]
        if let pid = n.dnsmasqPID { rows.append(("dnsmasq:", "pid \(pid), \(n.dnsmasqRestarts ?? 0) restart(s)")) }
        if let pid = n.radvdPID { rows.append(("radvd:", "pid \(pid), \(n.radvdRestarts ?? 0) restart(s)")) }
        var t = TextTable([.left, .left])
        for (k, v) in rows { t.append([k, v]) }
        return t.lines()
    }

    static func leases(_ leases: [NetworkLease]) -> [String] {
        var t = TextTable([.left, .left, .left, .left, .left, .left])
        t.append(["Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"])
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for l in leases {
            let expiry = l.expiryTime == 0 ? "never" : f.string(from: Date(timeIntervalSince1970: TimeInterval(l.expiryTime)))
            t.append([expiry, l.mac ?? "-", l.type, "\(l.ipAddress)/\(l.prefix)", l.hostname ?? "-", l.clientID ?? "-"])
        }
        return t.lines()
    }
}
