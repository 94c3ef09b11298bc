import ControlProtocol
import Foundation
import HostSystem
import SpanningTree
import TapestryModel

/// Runs the bridges' spanning trees: every 50 ms (under the service lock) the BPDUs the datapath
/// took out of the fast path are handed to their bridge's tree, its timers advance, and what it
/// asks for is done — BPDUs sent out of ports, MAC tables flushed on topology changes, port states
/// published in a new datapath snapshot, role and state changes recorded as events.
extension BridgeService {
    static let spanningTreeTickMillis: UInt32 = 50

    func startSpanningTree() {
        let t = Thread { [weak self] in
            while let service = self, !service.reconciler.spanningTree.stopped.get() {
                service.locked { service.runSpanningTrees() }
                usleep(BridgeService.spanningTreeTickMillis * 1000)
            }
        }
        t.name = "tapestry-stp"
        t.start()
    }

    func stopSpanningTree() { reconciler.spanningTree.stopped.set(true) }

    private func runSpanningTrees() {
        let sb = reconciler
        let now = Int64(LinkMonitor.now() / 1000)
        var republish = false
        for (bridge, inst) in sb.spanningTree.instances {
            for (port, frame) in inst.queue.drain() {
                guard let i = inst.tree.index(of: port) else { continue }
                frame.withUnsafeBytes { inst.tree.receive(port: i, frame: $0) }
            }
            inst.tree.advance(to: now)
            let out = inst.tree.takeOutput()
            if out.statesChanged { republish = true }
            for e in out.events {
                let port = e.port.map { inst.tree.ports[$0].name }
                events.record(e.kind, bridge: bridge, port: port, e.detail)
            }
            let frames = out.frames.map { (inst.tree.ports[$0.port].name, $0.frame) }
            let flushIDs = Set(out.flushes.compactMap { sb.ports[inst.tree.ports[$0].name]?.id })
            if !frames.isEmpty || !flushIDs.isEmpty {
                datapath.perform { access in
                    for (port, frame) in frames { access.sendControlFrame(bridge: bridge, port: port, frame: frame) }
                    if let table = access.engine(bridge)?.table { for id in flushIDs { table.flush(port: id) } }
                }
            }
        }
        if republish { sb.publish(current) }
    }
}

extension BridgeService {
    func stpShow(_ p: STPShowParams) throws -> STPShowResult {
        guard let b = current.bridge(named: p.bridge) else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show spanning tree of \(p.bridge): no such bridge")
        }
        guard let c = b.stp, let inst = reconciler.spanningTree.instances[b.name] else {
            throw RPCError(code: RPCError.operationFailed, message: "could not show spanning tree of \(p.bridge): STP is off (set-br \(p.bridge) --stp rstp)")
        }
        let t = inst.tree
        let ports = t.ports.map { sp in
            let n = sp.counters
            return STPPortStatus(name: sp.name, portID: sp.identifier.description, role: sp.role.rawValue,
                                 state: (sp.isEnabled ? sp.state : .discarding).rawValue, pathCost: Int(sp.settings.pathCost),
                                 edge: sp.operEdge, legacyPeer: !sp.sendRSTP && c.mode == .rstp, bpduGuardShut: sp.guardShut,
                                 rxBPDUs: n.rxRST + n.rxConfig + n.rxTCN, txBPDUs: n.txRST + n.txConfig + n.txTCN, rxBad: n.rxBad,
                                 forwardTransitions: n.forwardTransitions, topologyChanges: n.topologyChanges,
                                 pointToPoint: sp.pointToPoint)
        }
        return STPShowResult(bridge: b.name, mode: c.mode.rawValue, bridgeID: t.bridgeID.description, rootID: t.rootVector.root.description,
                             rootPathCost: Int(t.rootVector.rootPathCost), rootPort: t.rootPort.map { t.ports[$0].name },
                             isRoot: t.isRoot, hello: t.rootTimes.hello, maxAge: t.rootTimes.maxAge,
                             forwardDelay: t.rootTimes.forwardDelay, topologyChanges: t.topologyChanges, ports: ports)
    }
}
