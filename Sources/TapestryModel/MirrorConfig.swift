/// A port mirror (SPAN): copies of the selected frames go out of `output`, as with Open vSwitch's
/// mirrors. The output port then carries only mirrored traffic: what arrives on it is dropped.
public struct MirrorConfig: Codable, Sendable, Equatable {
    public var name: String
    /// Every frame of the bridge.
    public var selectAll: Bool
    /// Frames that enter or leave these ports.
    public var selectPorts: [String]
    /// Frames of these VLANs.
    public var selectVLANs: [VLANID]
    public var output: String

    public init(name: String, selectAll: Bool = false, selectPorts: [String] = [], selectVLANs: [VLANID] = [], output: String) {
        self.name = name; self.selectAll = selectAll; self.selectPorts = selectPorts; self.selectVLANs = selectVLANs
        self.output = output
    }

    func validate(on bridge: BridgeConfig) throws(ModelError) {
        let what = "mirror \(name)"
        guard !name.isEmpty, name.utf8.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ModelError("\(what): names use letters, digits, '-', '_' and '.' (at most 64)")
        }
        guard selectAll || !selectPorts.isEmpty || !selectVLANs.isEmpty else {
            throw ModelError("\(what): select something (--select-all, --select-port or --select-vlan)")
        }
        guard bridge.port(named: output) != nil else { throw ModelError("\(what): no such output port \(output)") }
        for p in selectPorts {
            guard bridge.port(named: p) != nil else { throw ModelError("\(what): no such port \(p)") }
            guard p != output else { throw ModelError("\(what): port \(p) cannot be both selected and the output") }
        }
    }
}
