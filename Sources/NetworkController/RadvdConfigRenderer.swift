/// Renders radvd.conf for a network's IPv6 prefixes in the form libvirt wrote it before it
/// moved router advertisements into dnsmasq: managed and other-config flags on when the
/// network has DHCPv6, and then prefixes not autonomous; otherwise SLAAC prefixes. Pure.
public enum RadvdConfigRenderer {
    /// The radvd.conf text, or nil when the network has no IPv6 address (nothing to advertise).
    public static func config(for def: NetworkDefinition) -> String? {
        let v6 = def.ipv6
        guard !v6.isEmpty else { return nil }
        let dhcp6 = v6.contains { $0.hasDHCP }
        var out = "interface \(def.bridge.name ?? "")\n{\n"
        out += "  AdvSendAdvert on;\n"
        out += "  IgnoreIfMissing on;\n"
        out += "  AdvManagedFlag \(dhcp6 ? "on" : "off");\n"
        if dhcp6 { out += "  AdvOtherConfigFlag on;\n" }
        out += "\n"
        for ip in v6 {
            out += "  prefix \(ip.address)/\(ip.effectivePrefix)\n  {\n"
            if dhcp6 {
                out += "    AdvAutonomous off;\n"
            } else {
                out += "    AdvOnLink on;\n    AdvAutonomous on;\n    AdvRouterAddr off;\n"
            }
            out += "  };\n"
        }
        out += "};\n"
        return out
    }
}
