/// What a `SpanningTree` asks its owner to do, and what it reports.
public struct STPOutput: Sendable {
    /// Frames to send, by port index.
    public var frames: [(port: Int, frame: [UInt8])] = []
    /// Ports whose learned MAC addresses must be flushed (topology change).
    public var flushes: [Int] = []
    /// Human-readable changes (role, state, root, legacy fallback, BPDU guard) for events.
    public var events: [(port: Int?, kind: String, detail: String)] = []
    /// Whether some port's forwarding state changed (the datapath snapshot must be re-published).
    public var statesChanged = false
    public init() {}
}

/// One bridge's rapid spanning tree (IEEE 802.1D-2004 clause 17; falls back per port to the legacy
/// 802.1D protocol when a peer sends configuration BPDUs; runs legacy STP for all ports when asked).
///
/// Pure and single-threaded: the owner feeds it received BPDU frames (`receive`), link changes
/// (`setLink`) and the time (`advance(to:)`, ms on any monotonic clock), then takes the frames to
/// send, the MAC flushes and the events out with `takeOutput()`. The clock is injected, so tests
/// run the timers deterministically.
///
/// The machines follow the standard's port information (superior / repeated / inferior message,
/// info aging), role selection (root, designated, alternate, backup), role transitions
/// (proposal / agreement sync, re-root, forward delay for legacy peers, edge ports), topology
/// change (flush other ports, propagate TC, TCN/TCA with legacy peers), port protocol migration
/// and transmit hold count — folded into plain functions rather than literal state charts.
public final class SpanningTree {
    public private(set) var settings: STPBridgeSettings
    public let address: [UInt8]
    public private(set) var ports: [SpanningTreePort] = []
    public private(set) var rootVector: PriorityVector
    public private(set) var rootTimes: STPTimes
    public private(set) var rootPort: Int?
    public private(set) var topologyChanges: UInt64 = 0
    public private(set) var lastTopologyChange: Int64?
    private var now: Int64
    private var reselect = true
    private var output = STPOutput()

    public init(address: [UInt8], settings: STPBridgeSettings, now: Int64) {
        self.address = address; self.settings = settings; self.now = now
        let me = BridgeIdentifier(priority: settings.priority, address: address)
        rootVector = PriorityVector(root: me, rootPathCost: 0, designatedBridge: me, designatedPort: PortIdentifier(value: 0),
                                    bridgePort: PortIdentifier(value: 0))
        rootTimes = STPTimes(messageAge: 0, maxAge: settings.maxAge, hello: settings.hello, forwardDelay: settings.forwardDelay)
    }

    public var bridgeID: BridgeIdentifier { BridgeIdentifier(priority: settings.priority, address: address) }
    public var isRoot: Bool { rootVector.root == bridgeID }
    var rstp: Bool { settings.proto == .rstp }

    // MARK: - configuration

    /// Adds a port (numbered from 1 in its identifier); returns its index.
    @discardableResult
    public func addPort(_ name: String, settings: STPPortSettings, linkUp: Bool = true) -> Int {
        var p = SpanningTreePort(name: name, number: ports.count + 1, settings: settings)
        p.linkUp = linkUp
        p.fdUntil = now + forwardDelayMs
        p.sendRSTP = rstp
        ports.append(p)
        reselect = true
        run()
        return ports.count - 1
    }

    public func index(of name: String) -> Int? { ports.firstIndex { $0.name == name } }

    public func update(settings next: STPBridgeSettings) {
        let protoChanged = next.proto != settings.proto
        settings = next
        if protoChanged { for i in ports.indices { ports[i].sendRSTP = rstp; ports[i].mdelayUntil = now + 3000 } }
        for i in ports.indices { ports[i].newInfo = true }
        reselect = true
        run()
    }

    /// New settings for a port; clears a BPDU-guard shutdown.
    public func update(port i: Int, settings next: STPPortSettings) {
        guard ports.indices.contains(i) else { return }
        ports[i].settings = next
        ports[i].operEdge = next.edge
        if ports[i].guardShut { ports[i].guardShut = false }
        reselect = true
        run()
    }

    /// The port's link went up or down.
    public func setLink(port i: Int, up: Bool) {
        guard ports.indices.contains(i), ports[i].linkUp != up else { return }
        ports[i].linkUp = up
        if up {
            ports[i].operEdge = ports[i].settings.edge
            ports[i].sendRSTP = rstp
            ports[i].mdelayUntil = now + 3000
        }
        reselect = true
        run()
    }

    // MARK: - input

    /// Handles a BPDU frame (from its Ethernet header) received on port `i`. Bad BPDUs are counted and ignored.
    public func receive(port i: Int, frame: UnsafeRawBufferPointer) {
        guard ports.indices.contains(i) else { return }
        switch BPDUCodec.decode(frame) {
        case .failure: ports[i].counters.rxBad += 1
        case .success(let bpdu): receive(port: i, bpdu: bpdu)
        }
    }

    public func receive(port i: Int, bpdu: BPDU) {
        guard ports.indices.contains(i), ports[i].isEnabled else { return }
        switch bpdu.kind {
        case .rst: ports[i].counters.rxRST += 1
        case .config: ports[i].counters.rxConfig += 1
        case .tcn: ports[i].counters.rxTCN += 1
        }
        if ports[i].settings.bpduGuard {
            ports[i].guardShut = true
            event(i, "bpdu-guard", "BPDU received on \(ports[i].name) with BPDU guard: port shut")
            reselect = true
            run()
            return
        }
        if ports[i].operEdge {
            ports[i].operEdge = false
            event(i, "stp-edge-lost", "\(ports[i].name) received a BPDU: no longer an edge port")
        }
        // Port protocol migration (17.24): a legacy BPDU after the migration delay makes the port speak STP.
        if bpdu.kind != .rst && ports[i].sendRSTP && now >= ports[i].mdelayUntil {
            ports[i].sendRSTP = false
            ports[i].mdelayUntil = now + 3000
            event(i, "stp-legacy-peer", "\(ports[i].name) hears an 802.1D (STP) peer: sending configuration BPDUs")
        } else if bpdu.kind == .rst && !ports[i].sendRSTP && rstp && now >= ports[i].mdelayUntil {
            ports[i].sendRSTP = true
            ports[i].mdelayUntil = now + 3000
            event(i, "stp-rstp-peer", "\(ports[i].name) hears an RSTP peer again")
        }
        if bpdu.kind == .tcn {
            if ports[i].role == .designated {
                ports[i].tcAck = true
                ports[i].newInfo = true
                topologyChange(from: i, detected: false)
            }
            run()
            return
        }
        if bpdu.topologyChangeAck { ports[i].tcnAcked = true }
        let msg = PriorityVector(root: bpdu.root, rootPathCost: bpdu.rootPathCost, designatedBridge: bpdu.bridge,
                                 designatedPort: bpdu.port, bridgePort: ports[i].identifier)
        switch bpdu.role {
        case .designated:
            let current = ports[i].portVector
            let accept: Bool
            switch ports[i].info {
            case .disabled, .aged: accept = true
            case .mine: accept = current.map { msg < $0 } ?? true
            case .received: accept = current.map { msg < $0 || msg.sameSender($0) } ?? true
            }
            guard accept else {
                // Inferior designated information: our designated port answers with its own.
                if ports[i].role == .designated { ports[i].newInfo = true }
                break
            }
            if current != msg || ports[i].info != .received {
                ports[i].portVector = msg
                ports[i].info = .received
                ports[i].agreed = false
                ports[i].agree = false
                ports[i].proposing = false
                reselect = true
            }
            ports[i].portTimes = bpdu.times
            let hello = max(1, bpdu.times.hello)
            ports[i].rcvdInfoUntil = now + Int64(bpdu.kind == .rst ? 3 * hello : max(1, bpdu.times.maxAge - bpdu.times.messageAge)) * 1000
            if bpdu.proposal && rstp { ports[i].proposed = true }
        case .root, .alternateOrBackup:
            if bpdu.agreement && ports[i].role == .designated && rstp && ports[i].pointToPoint { ports[i].agreed = true; ports[i].proposing = false }
        case .unknown:
            break
        }
        if bpdu.topologyChange { topologyChange(from: i, detected: false) }
        run()
    }

    /// Moves the clock to `t` (ms) and runs what expired.
    public func advance(to t: Int64) {
        guard t >= now else { return }
        now = t
        for i in ports.indices where ports[i].info == .received && now >= ports[i].rcvdInfoUntil {
            ports[i].info = .aged
            reselect = true
            event(i, "stp-info-aged", "\(ports[i].name): no BPDU from the designated bridge for \(ports[i].portTimes.hello * 3) s")
        }
        for i in ports.indices where ports[i].isEnabled && ports[i].role == .designated && now >= ports[i].helloNext {
            ports[i].newInfo = true
        }
        run()
    }

    /// What to send, flush and report since the last call.
    public func takeOutput() -> STPOutput {
        let o = output
        output = STPOutput()
        return o
    }

    /// Each port's forwarding state by name.
    public var states: [String: STPPortState] {
        Dictionary(ports.map { ($0.name, $0.isEnabled ? $0.state : .discarding) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: - machines

    private var forwardDelayMs: Int64 { Int64(rootTimes.forwardDelay > 0 ? rootTimes.forwardDelay : settings.forwardDelay) * 1000 }
    private var ownForwardDelayMs: Int64 { Int64(settings.forwardDelay) * 1000 }

    private func event(_ port: Int?, _ kind: String, _ detail: String) { output.events.append((port, kind, detail)) }

    private func run() {
        for _ in 0..<8 {
            if reselect { selectRoles() }
            var changed = false
            for i in ports.indices { changed = transition(i) || changed }
            if !changed && !reselect { break }
        }
        for i in ports.indices { transmit(i) }
    }

    /// Role selection (17.21.25 updtRolesTree).
    private func selectRoles() {
        reselect = false
        let me = bridgeID
        var best = PriorityVector(root: me, rootPathCost: 0, designatedBridge: me, designatedPort: PortIdentifier(value: 0),
                                  bridgePort: PortIdentifier(value: 0))
        var bestPort: Int? = nil
        var times = STPTimes(messageAge: 0, maxAge: settings.maxAge, hello: settings.hello, forwardDelay: settings.forwardDelay)
        for (i, p) in ports.enumerated() where p.isEnabled && p.info == .received {
            guard let v = p.portVector, v.designatedBridge.address != me.address else { continue }
            let cost = v.rootPathCost &+ p.settings.pathCost
            let candidate = PriorityVector(root: v.root, rootPathCost: cost, designatedBridge: v.designatedBridge,
                                           designatedPort: v.designatedPort, bridgePort: p.identifier)
            if candidate < best {
                best = candidate
                bestPort = i
                times = p.portTimes
                times.messageAge += 1
                times.hello = settings.hello
            }
        }
        let oldRoot = rootVector.root, oldRootPort = rootPort
        rootVector = best
        rootTimes = times
        rootPort = bestPort
        if oldRoot != best.root { event(nil, "stp-root-changed", "root bridge is now \(best.root)\(best.root == me ? " (this bridge)" : "")") }
        if oldRootPort != bestPort {
            for i in ports.indices { ports[i].reRoot = true }
        }
        for i in ports.indices {
            var p = ports[i]
            let designated = PriorityVector(root: best.root, rootPathCost: best.rootPathCost, designatedBridge: me,
                                            designatedPort: p.identifier, bridgePort: p.identifier)
            p.designatedVector = designated
            let role: STPPortRole
            var updateInfo = false
            if !p.isEnabled {
                role = .disabled
                p.info = .disabled
            } else if p.info == .disabled || p.info == .aged {
                role = .designated
                updateInfo = true
            } else if p.info == .mine {
                role = .designated
                updateInfo = p.portVector != designated
            } else if i == bestPort {
                role = .root
            } else if let v = p.portVector, designated < v {
                role = .designated
                updateInfo = true
            } else if p.portVector?.designatedBridge.address == me.address {
                role = .backup
            } else {
                role = .alternate
            }
            if updateInfo {
                p.portVector = designated
                p.portTimes = times
                p.info = .mine
                p.newInfo = true
                p.agreed = false
                p.synced = false
            }
            if role != p.role {
                event(i, "stp-role", "\(p.name): \(p.role.rawValue) → \(role.rawValue)")
                // Topology change INACTIVE (17.25): what a port learned goes when it stops being root or
                // designated (an edge port's stations stay where they are).
                if (p.role == .root || p.role == .designated) && role != .root && role != .designated && p.learn && !p.operEdge {
                    output.flushes.append(i)
                }
                if role == .designated && !p.forward { p.proposing = false }
                if role != .root && role != .designated { p.newInfo = p.newInfo || (role == .alternate && rstp) }
                p.role = role
            }
            ports[i] = p
        }
    }

    private func allSynced(except root: Int) -> Bool {
        ports.indices.allSatisfy { $0 == root || !ports[$0].isEnabled || ports[$0].synced || ports[$0].role == .alternate
            || ports[$0].role == .backup }
    }

    private var reRooted: Bool { ports.indices.allSatisfy { $0 == rootPort || now >= ports[$0].rrUntil } }

    private func setState(_ i: Int, _ s: STPPortState) {
        guard ports[i].state != s else { return }
        let old = ports[i].state
        ports[i].state = s
        output.statesChanged = true
        event(i, "stp-state", "\(ports[i].name): \(old.rawValue) → \(s.rawValue)")
        if s == .forwarding {
            ports[i].counters.forwardTransitions += 1
            if !ports[i].operEdge { topologyChange(from: i, detected: true) }
        }
        if s == .discarding { ports[i].fdUntil = now + forwardDelayMs }
    }

    /// Role transitions (17.29) for port `i`; true when something changed.
    private func transition(_ i: Int) -> Bool {
        let before = (ports[i].state, ports[i].synced, ports[i].agree, ports[i].proposing, ports[i].sync)
        let rstpPort = rstp && ports[i].sendRSTP
        switch ports[i].role {
        case .disabled:
            setState(i, .discarding)
            ports[i].synced = true; ports[i].sync = false; ports[i].reRoot = false; ports[i].rrUntil = 0
            ports[i].proposed = false; ports[i].agreed = false; ports[i].agree = false
            ports[i].fdUntil = now + forwardDelayMs
        case .alternate, .backup:
            setState(i, .discarding)
            ports[i].fdUntil = now + forwardDelayMs
            ports[i].rrUntil = 0
            ports[i].synced = true; ports[i].sync = false; ports[i].reRoot = false
            if ports[i].proposed && !ports[i].agree {
                ports[i].agree = true; ports[i].proposed = false; ports[i].newInfo = true
            }
        case .root:
            ports[i].rrUntil = now + ownForwardDelayMs
            if ports[i].proposed && !ports[i].agree {
                // Sync: every other port discards or is agreed before we agree (17.29.2 ROOT_PROPOSED).
                for j in ports.indices where j != i { ports[j].sync = true; ports[j].synced = ports[j].role != .designated || !ports[j].learn || ports[j].operEdge }
                ports[i].proposed = false
            }
            if !ports[i].agree && allSynced(except: i) && rstpPort {
                ports[i].agree = true
                ports[i].newInfo = true
            }
            if ports[i].proposed && ports[i].agree { ports[i].proposed = false; ports[i].newInfo = true }
            let mayMove = now >= ports[i].fdUntil || (rstp && reRooted)
            if mayMove && !ports[i].learn {
                setState(i, .learning)
                ports[i].fdUntil = now + forwardDelayMs
            }
            if ports[i].learn && !ports[i].forward && (now >= ports[i].fdUntil || (rstp && reRooted)) {
                setState(i, .forwarding)
                for j in ports.indices { ports[j].reRoot = false }
            }
        case .designated:
            var p = ports[i]
            if !p.forward && !p.agreed && !p.proposing && !p.operEdge && rstpPort {
                p.proposing = true
                p.newInfo = true
            }
            if (!p.learn && !p.synced) || (p.agreed && !p.synced) || (p.operEdge && !p.synced) || (p.sync && p.synced) {
                p.rrUntil = 0; p.synced = true; p.sync = false
            }
            ports[i] = p
            let mustDiscard = ((p.sync && !p.synced) || (p.reRoot && now < p.rrUntil)) && !p.operEdge && p.learn
            if mustDiscard {
                setState(i, .discarding)
                return true
            }
            let clear = (now >= p.fdUntil || p.agreed || p.operEdge) && (now >= p.rrUntil || !p.reRoot) && !p.sync
            if clear && !p.learn {
                setState(i, p.operEdge || p.agreed ? .forwarding : .learning)
                ports[i].fdUntil = now + forwardDelayMs
            } else if clear && p.learn && !p.forward && (now >= p.fdUntil || p.agreed || p.operEdge) {
                setState(i, .forwarding)
            }
            if ports[i].forward { ports[i].reRoot = false }
        }
        let after = (ports[i].state, ports[i].synced, ports[i].agree, ports[i].proposing, ports[i].sync)
        return before != after
    }

    /// Topology change: a port of ours started forwarding (`detected`) or a peer told us (17.25).
    private func topologyChange(from i: Int, detected: Bool) {
        topologyChanges += 1
        lastTopologyChange = now
        ports[i].counters.topologyChanges += 1
        let tcTime = Int64(rstp && ports[i].sendRSTP ? 2 * settings.hello : settings.maxAge + settings.forwardDelay) * 1000
        for j in ports.indices where j != i && ports[j].isEnabled && !ports[j].operEdge {
            output.flushes.append(j)
            if ports[j].role == .root || ports[j].role == .designated {
                ports[j].tcUntil = now + tcTime
                ports[j].tcnAcked = false
                ports[j].newInfo = true
            }
        }
        if detected {
            ports[i].tcUntil = now + tcTime
            ports[i].tcnAcked = false
            ports[i].newInfo = true
        }
    }

    /// Port transmit (17.26): sends when there is news or a hello is due, within the hold count.
    private func transmit(_ i: Int) {
        var p = ports[i]
        guard p.isEnabled, p.newInfo else { return }
        if now - p.txWindowStart >= 1000 { p.txWindowStart = now; p.txCount = 0 }
        guard p.txCount < settings.transmitHoldCount else { ports[i] = p; return }
        let rstpPort = rstp && p.sendRSTP
        var bpdu: BPDU? = nil
        if rstpPort && p.role != .disabled {
            var b = BPDU(kind: .rst, version: 2)
            b.role = switch p.role {
            case .root: .root
            case .designated: .designated
            default: .alternateOrBackup
            }
            b.proposal = p.role == .designated && p.proposing
            b.agreement = p.agree || (p.role == .designated && p.synced && p.agreed)
            b.learning = p.learn
            b.forwarding = p.forward
            b.topologyChange = now < p.tcUntil
            bpdu = b
        } else if !rstpPort && p.role == .designated {
            var b = BPDU(kind: .config, version: 0)
            b.topologyChange = now < p.tcUntil || (rootPort.map { now < ports[$0].tcUntil } ?? false)
            b.topologyChangeAck = p.tcAck
            p.tcAck = false
            bpdu = b
        } else if !rstpPort && p.role == .root && now < p.tcUntil && !p.tcnAcked {
            bpdu = BPDU(kind: .tcn, version: 0)
        }
        p.newInfo = false
        if p.role == .designated { p.helloNext = now + Int64(settings.hello) * 1000 }
        if var b = bpdu {
            let v = p.designatedVector ?? rootVector
            b.root = v.root
            b.rootPathCost = v.rootPathCost
            b.bridge = bridgeID
            b.port = p.identifier
            b.times = STPTimes(messageAge: isRoot ? 0 : rootTimes.messageAge, maxAge: rootTimes.maxAge, hello: settings.hello,
                               forwardDelay: rootTimes.forwardDelay)
            switch b.kind {
            case .rst: p.counters.txRST += 1
            case .config: p.counters.txConfig += 1
            case .tcn: p.counters.txTCN += 1
            }
            p.txCount += 1
            output.frames.append((i, BPDUCodec.encode(b, source: address)))
        }
        ports[i] = p
    }
}

extension SpanningTreePort {
    /// Whether the port's link is point-to-point (operPointToPointMAC): proposal/agreement apply on it.
    public var pointToPoint: Bool { settings.pointToPoint ?? true }
}
