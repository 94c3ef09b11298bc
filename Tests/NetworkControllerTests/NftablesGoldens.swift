import Testing
@testable import NetworkController

/// Golden nft scripts for the libvirt firewall corpus inputs. Their rule semantics mirror
/// libvirt's nftables backend (post-9.9.0/tests/networkxml2firewalldata/*.nftables): see
/// `nftablesRulesMirrorLibvirt` for the rule-by-rule cross-check.
enum NftablesGoldens {
    static let scripts: [String: String] = [
        "nat-default": """
            add table ip tapestry
            add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip tapestry fwd_virbr0
            add chain ip tapestry nat_virbr0 { type nat hook postrouting priority 100; policy accept; }
            flush chain ip tapestry nat_virbr0
            add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
            flush chain ip tapestry mangle_virbr0
            add rule ip tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.122.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.122.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade
            add rule ip tapestry mangle_virbr0 oifname "virbr0" udp dport 68 counter udp checksum set 0

            """,
        "route-default": """
            add table ip tapestry
            add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip tapestry fwd_virbr0
            add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
            flush chain ip tapestry mangle_virbr0
            add rule ip tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.122.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.122.0/24 counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry mangle_virbr0 oifname "virbr0" udp dport 68 counter udp checksum set 0

            """,
        "isolated": """
            add table ip tapestry
            add table ip6 tapestry
            add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip tapestry fwd_virbr0
            add chain ip6 tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip6 tapestry fwd_virbr0
            add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
            flush chain ip tapestry mangle_virbr0
            add rule ip tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip6 tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip6 tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip6 tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry mangle_virbr0 oifname "virbr0" udp dport 68 counter udp checksum set 0

            """,
        "nat-many-ips": """
            add table ip tapestry
            add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip tapestry fwd_virbr0
            add chain ip tapestry nat_virbr0 { type nat hook postrouting priority 100; policy accept; }
            flush chain ip tapestry nat_virbr0
            add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
            flush chain ip tapestry mangle_virbr0
            add rule ip tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.122.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.122.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.128.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.128.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.150.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.150.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade
            add rule ip tapestry nat_virbr0 ip saddr 192.168.150.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.150.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 counter masquerade to :1024-65535
            add rule ip tapestry nat_virbr0 ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 counter masquerade
            add rule ip tapestry mangle_virbr0 oifname "virbr0" udp dport 68 counter udp checksum set 0

            """,
        "nat-port-range": """
            add table ip tapestry
            add table ip6 tapestry
            add chain ip tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip tapestry fwd_virbr0
            add chain ip6 tapestry fwd_virbr0 { type filter hook forward priority 0; policy accept; }
            flush chain ip6 tapestry fwd_virbr0
            add chain ip tapestry nat_virbr0 { type nat hook postrouting priority 100; policy accept; }
            flush chain ip tapestry nat_virbr0
            add chain ip tapestry mangle_virbr0 { type filter hook postrouting priority 0; policy accept; }
            flush chain ip tapestry mangle_virbr0
            add rule ip tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.122.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.122.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" ip saddr 192.168.128.0/24 counter accept
            add rule ip tapestry fwd_virbr0 oifname "virbr0" ip daddr 192.168.128.0/24 ct state related,established counter accept
            add rule ip tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :500-1000
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :500-1000
            add rule ip tapestry nat_virbr0 ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr 224.0.0.0/24 counter return
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr 255.255.255.255/32 counter return
            add rule ip tapestry nat_virbr0 meta l4proto tcp ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade to :500-1000
            add rule ip tapestry nat_virbr0 meta l4proto udp ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade to :500-1000
            add rule ip tapestry nat_virbr0 ip saddr 192.168.128.0/24 ip daddr != 192.168.128.0/24 counter masquerade
            add rule ip6 tapestry fwd_virbr0 iifname "virbr0" oifname "virbr0" counter accept
            add rule ip6 tapestry fwd_virbr0 iifname "virbr0" ip6 saddr 2001:db8:ca2:2::/64 counter accept
            add rule ip6 tapestry fwd_virbr0 oifname "virbr0" ip6 daddr 2001:db8:ca2:2::/64 counter accept
            add rule ip6 tapestry fwd_virbr0 iifname "virbr0" counter reject
            add rule ip6 tapestry fwd_virbr0 oifname "virbr0" counter reject
            add rule ip tapestry mangle_virbr0 oifname "virbr0" udp dport 68 counter udp checksum set 0

            """,
    ]
}
