import TapestryModel
/// Filling in what libvirt generates when a network is defined: uuid, bridge MAC, bridge name.
extension NetworkDefinition {
    /// A copy with a random v4 `uuid` when absent, a random `52:54:00:xx:xx:xx` bridge MAC when
    /// absent (for networks with their own bridge), and a bridge name from `bridgeNameTemplate`
    /// (`%d` replaced by the lowest number not in `usedBridgeNames`) when absent.
    /// Parsing never does this, so that a round trip stays exact.
    public func fillingDefaults(usedBridgeNames: Set<String> = [], bridgeNameTemplate: String = "virbr%d") -> NetworkDefinition {
        var rng = SystemRandomNumberGenerator()
        return fillingDefaults(usedBridgeNames: usedBridgeNames, bridgeNameTemplate: bridgeNameTemplate, using: &rng)
    }

    /// `fillingDefaults` with an injected random number generator (for tests).
    public func fillingDefaults<G: RandomNumberGenerator>(usedBridgeNames: Set<String> = [],
                                                          bridgeNameTemplate: String = "virbr%d",
                                                          using generator: inout G) -> NetworkDefinition {
        var def = self
        if def.uuid == nil {
            def.uuid = UUIDText.random(using: &generator)
        }
        guard def.forward.mode.hasOwnBridge else { return def }
        if def.mac == nil {
            let tail = (0..<3).map { _ in UInt8.random(in: 0...255, using: &generator) }
            def.mac = MACAddress(octets: [0x52, 0x54, 0x00] + tail)
        }
        if def.bridge.name == nil {
            for n in 0..<4096 {
                let candidate = bridgeNameTemplate.replacingPercentD(with: n)
                if !usedBridgeNames.contains(candidate) {
                    def.bridge.name = candidate
                    break
                }
            }
        }
        return def
    }
}

extension String {
    func replacingPercentD(with n: Int) -> String {
        let chars = Array(self)
        var i = 0
        while i + 1 < chars.count {
            if chars[i] == "%" && chars[i + 1] == "d" {
                return String(chars[..<i]) + String(n) + String(chars[(i + 2)...])
            }
            i += 1
        }
        return self + String(n)
    }
}
