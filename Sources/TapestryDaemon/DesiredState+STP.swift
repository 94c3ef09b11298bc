import ControlProtocol
import TapestryModel

extension DesiredState {
    /// Applies the spanning tree part of `set-br` (`--stp rstp|stp|off` and the bridge timers).
    func updatingSTP(_ p: SetBridgeParams) throws(ModelError) -> DesiredState {
        guard p.stp != nil || p.stpPriority != nil || p.stpHello != nil || p.stpMaxAge != nil || p.stpForwardDelay != nil else {
            return self
        }
        let what = "could not set bridge \(p.bridge)"
        guard let bi = bridges.firstIndex(where: { $0.name == p.bridge }) else { throw ModelError("\(what): no such bridge") }
        var b = bridges[bi]
        if p.stp == "off" {
            b.stp = nil
        } else {
            var stp = b.stp ?? BridgeSTPConfig(mode: .rstp)
            if let m = p.stp {
                guard let mode = STPMode(rawValue: m) else { throw ModelError("\(what): --stp \(m) is not one of rstp, stp, off") }
                stp.mode = mode
            } else if b.stp == nil {
                throw ModelError("\(what): spanning tree is off; turn it on with --stp rstp or --stp stp")
            }
            if let v = p.stpPriority { stp.priority = v }
            if let v = p.stpHello { stp.hello = v }
            if let v = p.stpMaxAge { stp.maxAge = v }
            if let v = p.stpForwardDelay { stp.forwardDelay = v }
            b.stp = stp
        }
        do { try b.validate() } catch { throw ModelError("\(what): \(error.message)") }
        if b == bridges[bi] { return self }
        var next = self
        next.bridges[bi] = b
        next.generation += 1
        return next
    }
}
