import ControlProtocol
import TapestryModel

/// `show` as text, in the manner of `ovs-vsctl show`:
/// ```
/// Bridge br0 (learning, aging 300s, 3/8192 MACs)
///   Port vm1     tap       access 10  isolated  netns vm1  up
///   Port gw10    internal  access 10                       up
///   Static MAC 52:54:00:00:00:01  VLAN 10  port vm1
/// ```
enum ShowTable {
    static func lines(_ result: ShowResult) -> [String] {
        result.bridges.flatMap(lines(bridge:))
    }

    static func lines(bridge: BridgeStatus) -> [String] {
        var out = ["Bridge \(bridge.name) (\(bridge.mode.rawValue), aging \(bridge.macAging)s, "
            + "\(bridge.macCount)/\(bridge.macTableSize) MACs)"]
        var ports = TextTable([.left, .left, .left, .left, .left, .left, .left, .left, .left, .left])
        for status in bridge.ports { ports.append(row(status)) }
        out += ports.lines(indent: "  ")
        for status in bridge.ports {
            if let policy = status.config.policy, !policy.isEmpty { out.append("  Policy \(status.config.name): \(policy.summary)") }
        }
        for status in bridge.ports { out += details(status.config) }
        for status in bridge.ports { out += bondLines(status) }
        for status in bridge.ports { out += queueLines(status) }
        var statics = TextTable([.left, .left, .left])
        for entry in bridge.staticMACs {
            statics.append(["Static MAC \(entry.mac)", "VLAN \(entry.vlan)", "port \(entry.port)"
                + (entry.remote.map { " remote \($0)" } ?? "")])
        }
        out += statics.lines(indent: "  ")
        out += bridge.warnings.map { "  warning: \($0)" }
        return out
    }

    /// The external ids of a port (libvirt's `attached-mac`, `vm-id` = the domain's UUID, …) and its
    /// Open vSwitch QoS columns (enforced through the port's policy, shown with the port).
    private static func details(_ port: PortConfig) -> [String] {
        var out: [String] = []
        if let ids = port.externalIDs, !ids.isEmpty {
            out.append("  Port \(port.name) external-ids: " + ids.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        if let ovs = port.ovs {
            var parts: [String] = []
            if let qos = ovs.qos { parts.append("qos \(qos)") }
            if ovs.ingressPolicingRate > 0 {
                parts.append("ingress policing \(ovs.ingressPolicingRate) kbit/s burst \(ovs.ingressPolicingBurst) kbit")
            }
            if !parts.isEmpty { out.append("  Port \(port.name) " + parts.joined(separator: ", ") + " (OVS columns; the rates are the port's policy)") }
        }
        return out
    }

    /// A vhost-user port's queue pairs: `  Port vm1 queue 0: rx 20 (1960 bytes), tx 20 (1960 bytes)`
    /// (rx: from the guest's transmit queue of the pair; tx: into its receive queue).
    private static func queueLines(_ status: PortStatus) -> [String] {
        (status.vhostUser?.queueCounters ?? []).map { q in
            "  Port \(status.config.name) queue \(q.queue): rx \(q.rxPackets) (\(q.rxBytes) bytes), tx \(q.txPackets) (\(q.txBytes) bytes)"
        }
    }

    /// A bond's mode and each member: `  Bond bond0 balance-slb lacp off: eth0 enabled (active), eth1 disabled`.
    private static func bondLines(_ status: PortStatus) -> [String] {
        guard let c = status.config.bond else { return [] }
        let members = status.bondMembers.map { list in
            list.map { "\($0.name) \($0.enabled ? "enabled" : "disabled")\($0.active ? " (active)" : "")" }
        } ?? c.members
        return ["  Bond \(status.config.name) \(c.mode.rawValue) lacp \(c.lacp.rawValue): " + members.joined(separator: ", ")]
    }

    /// `Port NAME  TYPE  VLAN-ROLE  [isolated]  [netns N]  [mtu N]  [mac M]  STATE`; the MAC only when configured
    /// (the netdev's actual MAC is in `--format json`).
    private static func row(_ status: PortStatus) -> [String] {
        let port = status.config
        var state = status.state
        if status.state == "error" { state = "error: \(status.error ?? "unknown")" }
        if let role = status.stpRole, let s = status.stpState { state += "  stp \(role) \(s)" }
        return [
            "Port \(port.name)",
            port.type.rawValue,
            port.vlanSummary,
            port.isolated ? "isolated" : "",
            port.netns.map { "netns \($0)" } ?? "",
            port.mtu.map { "mtu \($0)" } ?? "",
            port.mac.map { "mac \($0)" } ?? "",
            port.vxlan.map { v in "vni \(v.vni) remote \(v.remotes.map(\.description).joined(separator: ","))"
                + (v.dstPort == VXLANConfig.defaultPort ? "" : " port \(v.dstPort)") }
                ?? status.vhostUser.map { v in "socket \(v.socketPath) " + (v.connected
                    ? "connected queues \(v.receiveQueues)rx/\(v.transmitQueues)tx \(v.features.joined(separator: ","))"
                    : "waiting") } ?? "",
            state,
        ]
    }
}
