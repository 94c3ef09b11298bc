import Bonding
import ControlProtocol
import Foundation
import HostSystem
import TapestryModel

/// Bonds: the `tapestry-bonds` thread runs every bond's controller each 50 ms (LACPDUs in and out,
/// up/down delays, partner expiry; a changed table goes into the datapath), member and LACP
/// changes become events; and the bond verbs.
extension BridgeService {
    static let bondTickMillis: UInt32 = 50

    func startBonds() {
        let t = Thread { [weak self] in
            while let service = self, !service.reconciler.bondsStopped.get() {
                service.locked { service.runBondsNow() }
                usleep(BridgeService.bondTickMillis * 1000)
            }
        }
        t.name = "tapestry-bonds"
        t.start()
    }

    func stopBonds() { reconciler.bondsStopped.set(true) }

    /// One round of every bond (under the lock).
    func runBondsNow() {
        for e in reconciler.runBonds(now: Int64(LinkMonitor.now() / 1000)) {
            events.record(e.kind, bridge: e.bridge, port: e.port, e.detail)
        }
    }

    func registerBonds(in table: MethodTable) {
        table.edit(Methods.AddBond.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in
                guard p.port.type == .bond, p.port.bond != nil else {
                    throw ModelError("could not add bond \(p.port.name) to bridge \(p.bridge): not a bond port")
                }
                return try s.addingPort(p.port, to: p.bridge, mayExist: p.mayExist)
            }, touched: [p.port.name])
        }
        table.edit(Methods.DeleteBond.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in
                if let port = s.bridge(named: p.bridge)?.port(named: p.bond), port.type != .bond {
                    throw ModelError("could not delete bond \(p.bond) from bridge \(p.bridge): \(p.bond) is a \(port.type.rawValue) port, not a bond (del-port)")
                }
                return try s.removingPort(p.bond, from: p.bridge, ifExists: p.ifExists)
            }, touched: [])
        }
        table.edit(Methods.SetBond.self, by: .bridges) { p in
            StateEdit(apply: { s throws(ModelError) in
                try s.updatingPort(p.bond, on: p.bridge) { port throws(ModelError) in
                    guard var b = port.bond else { throw ModelError("\(p.bond) is a \(port.type.rawValue) port, not a bond") }
                    if let v = p.mode { b.mode = v }
                    if let v = p.lacp { b.lacp = v }
                    if let v = p.lacpRate { b.lacpRate = v }
                    if let v = p.updelay { b.updelay = v }
                    if let v = p.downdelay { b.downdelay = v }
                    port.bond = b
                }
            }, touched: [p.bond])
        }
        table.handle(Methods.BondShow.self, by: .bridges) { [unowned self] p in try locked { try bondShow(p) } }
    }

    func bondShow(_ p: BondShowParams) throws -> BondShowResult {
        let what = "could not show bond \(p.bond)"
        guard let bridge = current.bridge(holdingPort: p.bond), let port = bridge.port(named: p.bond) else {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): no such port")
        }
        guard let config = port.bond else {
            throw RPCError(code: RPCError.operationFailed, message: "\(what): it is a \(port.type.rawValue) port, not a bond")
        }
        guard let bond = reconciler.ports[p.bond]?.bond else {
            let reason = reconciler.failures[p.bond] ?? "not realized"
            throw RPCError(code: RPCError.operationFailed, message: "\(what): \(reason)")
        }
        let members = BridgeService.memberStatus(bond)
        let c = bond.controller
        let names = bond.backend.memberNames
        let buckets = config.mode == .activeBackup ? [] : c.hasher.buckets.map { $0 >= 0 ? names[$0] : "" }
        let lacpStatus = c.lacp == nil ? "off" : c.enabled.contains(true) ? "negotiated" : "configured"
        return BondShowResult(bridge: bridge.name, bond: p.bond, config: config, lacpStatus: lacpStatus, members: members, buckets: buckets)
    }

    /// Each member's state as `bond-show` and `show` print it.
    static func memberStatus(_ bond: BondRuntime) -> [BondMemberStatus] {
        let c = bond.controller
        return bond.backend.memberNames.indices.map { i in
            var m = BondMemberStatus(name: bond.backend.memberNames[i], enabled: c.enabled[i], carrier: c.carrier[i],
                                     active: c.hasher.activeMember == i, buckets: c.hasher.buckets.filter { $0 == i }.count)
            if let lacp = c.lacp {
                let lm = lacp.members[i]
                m.actor = participant(lacp.actor(i))
                m.partner = lm.partner.map(participant)
                m.rxLACPDUs = lm.rxLACPDUs; m.txLACPDUs = lm.txLACPDUs; m.rxBadLACPDUs = lm.rxBad
            }
            return m
        }
    }

    static func participant(_ p: LACPParticipant) -> LACPParticipantStatus {
        let names: [(LACPState, String)] = [(.activity, "activity"), (.shortTimeout, "timeout"), (.aggregation, "aggregation"),
                                            (.synchronization, "synchronization"), (.collecting, "collecting"),
                                            (.distributing, "distributing"), (.defaulted, "defaulted"), (.expired, "expired")]
        let system = MACAddress(octets: p.system)?.description ?? p.system.map { String($0, radix: 16) }.joined(separator: ":")
        return LACPParticipantStatus(system: system, systemPriority: Int(p.systemPriority), key: Int(p.key), port: Int(p.port),
                                     portPriority: Int(p.portPriority), state: names.filter { p.state.contains($0.0) }.map(\.1))
    }
}
