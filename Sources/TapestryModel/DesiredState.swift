/// Everything the user asked for: the bridges and their ports. Persisted as `config.json`;
/// learned MACs and counters are not part of it.
public struct DesiredState: Codable, Sendable, Equatable {
    /// The file format's version; bumped when the schema changes.
    public static let formatVersion = 1

    public var formatVersion: Int
    /// Incremented by every acknowledged change.
    public var generation: Int
    public var bridges: [BridgeConfig]

    public init(generation: Int = 0, bridges: [BridgeConfig] = []) {
        self.formatVersion = DesiredState.formatVersion; self.generation = generation; self.bridges = bridges
    }

    public func bridge(named name: String) -> BridgeConfig? { bridges.first { $0.name == name } }

    /// The bridge that holds port `name`, if any.
    public func bridge(holdingPort name: String) -> BridgeConfig? { bridges.first { $0.port(named: name) != nil } }

    /// Checks the whole state: each bridge, and names unique across bridges and ports (all are netdev names).
    public func validate() throws(ModelError) {
        guard formatVersion == DesiredState.formatVersion else {
            throw ModelError("unsupported config format version \(formatVersion) (expected \(DesiredState.formatVersion))")
        }
        var names = Set<String>()
        for b in bridges {
            try b.validate()
            guard names.insert(b.name).inserted else { throw ModelError("duplicate name \(b.name)") }
            for p in b.ports {
                guard names.insert(p.name).inserted else { throw ModelError("duplicate name \(p.name)") }
            }
        }
    }
}
