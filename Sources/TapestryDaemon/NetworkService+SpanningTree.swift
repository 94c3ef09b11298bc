import NetworkController
import TapestryModel

extension NetworkService {
    /// RSTP for a network whose XML asks for it explicitly (`<bridge stp='on' delay='N'/>`); libvirt's
    /// `delay` is the forward delay (used when it is 4–30 s; max age follows it down when needed).
    static func spanningTree(of def: NetworkDefinition) -> BridgeSTPConfig? {
        guard def.bridge.stp == true else { return nil }
        var stp = BridgeSTPConfig(mode: .rstp)
        if let d = def.bridge.delay, (4...30).contains(d) {
            let delay = Int(d)
            stp.forwardDelay = delay
            stp.maxAge = max(6, min(stp.maxAge, 2 * (delay - 1)))
        }
        return stp
    }
}
