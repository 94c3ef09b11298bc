/// One chain of a network's nftables rules: `family` (`ip`, `ip6`), `name` (`fwd_virbr0`) and its hook line.
public struct NftablesChain: Hashable, Sendable {
    /// `ip` or `ip6`.
    public var family: String
    /// The chain name, unique per network (from its bridge name).
    public var name: String
    /// The base-chain declaration (`type filter hook forward priority 0; policy accept;`).
    public var hook: String

    /// Creates a chain description.
    public init(family: String, name: String, hook: String) {
        self.family = family
        self.name = name
        self.hook = hook
    }
}
