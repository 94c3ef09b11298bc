import ControlProtocol
import Datapath
import Foundation
import HostSystem
import SwitchCore
import TapestryModel

/// Observability: traces, captures, events, the mirror listing and the metrics exposition.
/// It changes no configuration; it reads the bridges service's state and realized ports under
/// that service's lock, and the datapath through its mailbox. Its own lock serializes moving MAC
/// events into the log (taken before the bridges' lock, never after).
final class ObservabilityService: @unchecked Sendable {
    private let lock = NSLock()
    let bridges: BridgeService
    let networks: NetworkService
    let datapath: Datapath
    /// Events for `tapestry events`.
    let events: EventLog
    private var macEventMarks: [String: UInt64] = [:]
    private let captureIDs = LockedBox(0)

    init(bridges: BridgeService, networks: NetworkService, events: EventLog) {
        self.bridges = bridges; self.networks = networks; self.events = events; datapath = bridges.datapath
    }

    func register(in table: MethodTable) {
        table.handle(Methods.MirrorList.self, by: .observability) { [unowned self] p in try mirrorList(p.bridge) }
        table.handle(Methods.Trace.self, by: .observability) { [unowned self] p in try trace(p) }
        table.handle(Methods.CaptureStart.self, by: .observability) { [unowned self] p in try startCapture(p) }
        table.handle(Methods.CaptureStop.self, by: .observability) { [unowned self] p in stopCapture(p.id) }
        table.handle(Methods.Events.self, by: .observability) { [unowned self] p in events(since: p.since) }
    }

    private func nextCaptureID() -> Int { captureIDs.update { n -> Int in n += 1; return n } }

    private func fail(_ message: String) -> RPCError { RPCError(code: RPCError.operationFailed, message: message) }

    func mirrorList(_ bridgeName: String?) throws -> MirrorListResult {
        try bridges.read { state, ports in
            guard let name = bridgeName, let b = state.bridge(named: name) else {
                throw fail("could not list mirrors of \(bridgeName ?? ""): no such bridge")
            }
            return MirrorListResult(bridge: name, mirrors: b.mirrors.map {
                .init(mirror: $0, outputTxPackets: ports.counters(of: $0.output)?.txPackets ?? 0)
            })
        }
    }

    // MARK: - trace

    func trace(_ p: TraceParams) throws -> TraceResult {
        try bridges.read { state, ports in try trace(p, state, ports) }
    }

    private func trace(_ p: TraceParams, _ state: DesiredState, _ ports: PortReconciler) throws -> TraceResult {
        let what = "could not trace on bridge \(p.bridge)"
        guard let b = state.bridge(named: p.bridge) else { throw fail("\(what): no such bridge") }
        guard let inConfig = b.port(named: p.inPort) else { throw fail("\(what): no such port \(p.inPort)") }
        guard ports.ports[p.inPort] != nil else { throw fail("\(what): port \(p.inPort) is not up") }
        var frame = p.destination.octets + p.source.octets
        if let v = p.vlan { frame += [0x81, 0x00, UInt8(v.value >> 8), UInt8(v.value & 0xFF)] }
        if let target = p.arpTarget {
            let sender = p.arpSender ?? IPv4Address(value: 0xC000_0201)
            func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
            frame += [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1] + p.source.octets + be32(sender.value) + Array(repeating: 0, count: 6)
                + be32(target.value) + Array(repeating: 0, count: 18)
        } else {
            frame += [0x08, 0x00] + Array(repeating: 0, count: 46)
        }
        let names = ports.namesByID
        let bytes = frame
        let bridgeName = b.name
        let vxlans = Dictionary(uniqueKeysWithValues: b.ports.compactMap { port in port.vxlan.map { (port.name, $0) } })
        return datapath.perform { access -> TraceResult in
            guard let engine = access.engine(bridgeName) else {
                return TraceResult(steps: ["bridge \(bridgeName) has no datapath"], action: "drop", dropReason: nil, vlan: nil,
                                   outputs: [], mirroredTo: [])
            }
            let snap = engine.snapshot
            guard let inSlot = snap.ports.firstIndex(where: { $0.name == inConfig.name }) else {
                return TraceResult(steps: ["port \(inConfig.name) is not in the datapath"], action: "drop", dropReason: nil,
                                   vlan: nil, outputs: [], mirroredTo: [])
            }
            var steps: [String] = []
            let inPort = snap.ports[inSlot]
            steps.append((p.arpTarget.map { "ARP request for \($0) " } ?? "") + "frame \(p.source) > \(p.destination)" + (p.vlan.map { " tagged VLAN \($0)" } ?? " untagged")
                + " arrives on \(inPort.name) (\(inConfig.vlanSummary)\(inPort.isolated ? ", isolated" : ""))")
            // The one decision pipeline, on a batch of this frame, without learning.
            let batch = FrameBatch(capacity: 1)
            let decided = bytes.withUnsafeBytes { raw -> (ForwardingDecision, [FrameOutput]) in
                batch.append(raw)
                engine.decide(batch, inSlot: inSlot, now: access.now, learning: false)
                return (batch.decision(0), Array(batch.outputs(0)))
            }
            let (decision, listed) = decided
            if decision.action == .drop {
                steps.append("dropped: \(decision.reason.name)")
                return TraceResult(steps: steps, action: "drop", dropReason: decision.reason.name,
                                   vlan: VLANID(Int(decision.vlan)), outputs: [], mirroredTo: [])
            }
            if decision.action == .control {
                steps.append("spanning tree BPDU: to the bridge's control plane")
                return TraceResult(steps: steps, action: "control", dropReason: nil, vlan: nil, outputs: [], mirroredTo: [])
            }
            steps.append("classified into VLAN \(decision.vlan)")
            if decision.action == .answered {
                // ARP suppression: the bridge's own reply goes back out of the ingress port.
                let reply = listed.first { $0.kind == .reply }
                let tagging = reply.map { $0.edit == .none || $0.edit == .pop ? "untagged" : "tagged \(decision.vlan)" } ?? "untagged"
                steps.append("ARP request answered by ARP suppression: reply out of \(inPort.name) (\(tagging)); not flooded")
                return TraceResult(steps: steps, action: "reply", dropReason: nil, vlan: VLANID(Int(decision.vlan)),
                                   outputs: [.init(port: inPort.name, tagging: tagging)], mirroredTo: [])
            }
            let forwards = listed.filter { $0.kind == .forward }
            if decision.action == .unicast {
                steps.append("MAC table: \(p.destination) on VLAN \(decision.vlan) is on port \(snap.ports[decision.outSlot].name)"
                    + (TunnelRemoteKey.address(of: decision.outRemote).map { " behind remote \($0)" } ?? ""))
            } else {
                if engine.snapshot.mode == .hub {
                    steps.append("hub mode: flood to every port of VLAN \(decision.vlan)")
                } else if p.destination.isMulticast {
                    steps.append("\(p.destination.isBroadcast ? "broadcast" : "multicast") destination: flood in VLAN \(decision.vlan)")
                } else {
                    steps.append("MAC table: \(p.destination) unknown on VLAN \(decision.vlan): flood in VLAN \(decision.vlan)")
                }
                for slot in snap.ports.indices where slot != inSlot {
                    switch engine.floodExclusion(decision, to: slot, from: inSlot) {
                    case nil: continue
                    case .mirrorOutput?: steps.append("skip \(snap.ports[slot].name): mirror output")
                    case .isolated?: steps.append("skip \(snap.ports[slot].name): both ports isolated")
                    case .notForwarding?: steps.append("skip \(snap.ports[slot].name): not forwarding (\(snap.ports[slot].state.rawValue))")
                    default: steps.append("skip \(snap.ports[slot].name): does not carry VLAN \(decision.vlan)")
                    }
                }
            }
            var outputs: [TraceResult.Output] = []
            for o in forwards {
                let port = snap.ports[Int(o.target)]
                let tagging = o.edit.leavesTagged(decision.header) ? "tagged \(decision.vlan)" : "untagged"
                if let v = vxlans[port.name] {
                    let remotes = TunnelRemoteKey.address(of: o.remote).map { [$0] } ?? v.remotes
                    steps.append("output \(port.name) (\(tagging)): VXLAN VNI \(v.vni) to \(remotes.map(\.description).joined(separator: ", "))")
                    outputs.append(.init(port: port.name, tagging: tagging, vni: v.vni, remotes: remotes))
                } else {
                    steps.append("output \(port.name) (\(tagging))")
                    outputs.append(.init(port: port.name, tagging: tagging))
                }
            }
            if outputs.isEmpty { steps.append("no port to send to") }
            let mirrored = listed.filter { $0.kind == .mirror }.map { snap.ports[Int($0.target)].name }
            for m in mirrored { steps.append("mirror copy to \(m)") }
            let captureIDs = access.captureIDs(of: bridgeName)
            for o in listed where o.kind == .captureIncoming || o.kind == .captureOutgoing {
                let id = Int(o.target) < captureIDs.count ? "\(captureIDs[Int(o.target)])" : "?"
                steps.append("copy to capture \(id) (\(o.kind == .captureIncoming ? "in" : "out"))")
            }
            return TraceResult(steps: steps, action: decision.action == .unicast ? "unicast" : "flood", dropReason: nil,
                               vlan: VLANID(Int(decision.vlan)), outputs: outputs, mirroredTo: mirrored)
        }
    }

    // MARK: - capture

    func startCapture(_ p: CaptureStartParams) throws -> CaptureStartResult {
        let what = "could not capture on bridge \(p.bridge)"
        let state = bridges.state
        guard let b = state.bridge(named: p.bridge) else { throw fail("\(what): no such bridge") }
        if let port = p.port, b.port(named: port) == nil { throw fail("\(what): no such port \(port)") }
        guard p.port != nil || p.vlan != nil else { throw fail("\(what): name a port or a VLAN") }
        let id = nextCaptureID()
        let session: CaptureSession
        do {
            session = try CaptureSession(id: id, bridge: p.bridge, port: p.port, vlan: p.vlan?.value ?? 0,
                                         incoming: p.direction != .out, outgoing: p.direction != .in && p.port != nil,
                                         readerPath: p.readerPath)
        } catch { throw fail("\(what): \(error.description)") }
        datapath.perform { access in access.setCaptures(access.captures.filter { !$0.isClosed } + [session]) }
        events.record("capture-started", bridge: p.bridge, port: p.port, "capture \(id)" + (p.vlan.map { " of VLAN \($0)" } ?? ""))
        return CaptureStartResult(id: id)
    }

    func stopCapture(_ id: Int) -> CaptureStopResult {
        datapath.perform { access -> CaptureStopResult in
            let found = access.captures.first { $0.id == id }
            access.setCaptures(access.captures.filter { $0.id != id })
            return CaptureStopResult(delivered: found?.delivered ?? 0, dropped: found?.dropped ?? 0)
        }
    }

    // MARK: - events

    func events(since cursor: UInt64?) -> EventsResult {
        lock.withLock { drainMACEvents() }
        return events.since(cursor)
    }

    /// Moves MAC table changes from the datapath into the event log (every second, and when asked).
    func drainMACEventsNow() { lock.withLock { drainMACEvents() } }

    /// Moves MAC table changes from the datapath into the event log; under the lock.
    private func drainMACEvents() {
        let (names, bridges) = self.bridges.read { state, ports in (ports.namesByID, state.bridges.map(\.name)) }
        let marks = macEventMarks
        let (records, newMarks) = datapath.perform { access -> ([(String, MACEventLog.Record)], [String: UInt64]) in
            var out: [(String, MACEventLog.Record)] = []
            var next = marks
            for b in bridges {
                guard let engine = access.engine(b) else { continue }
                out += engine.events.records(from: marks[b] ?? 0).map { (b, $0) }
                next[b] = engine.events.nextSequence
            }
            return (out, next)
        }
        macEventMarks = newMarks
        let nowMono = Double(datapath.perform { $0.now }) / 1000
        let wall = Date().timeIntervalSince1970
        for (bridge, r) in records {
            let kind = switch r.kind { case .learned: "mac-learned"; case .moved: "mac-moved"; case .aged: "mac-aged" }
            let port = names[r.port] ?? "#\(r.port)"
            events.record(kind, bridge: bridge, port: port, "\(r.mac) VLAN \(r.vlan) \(r.kind == .aged ? "aged out of" : "on") \(port)",
                          time: wall - (nowMono - Double(r.time) / 1000))
        }
    }
}
