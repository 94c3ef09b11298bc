import ControlProtocol
import TapestryModel

/// Applies a topology to the machine through a `TopologyHost`: observes what is there, runs a
/// plan's changes (lab plumbing first, then what the daemons hold, planned again against the
/// daemons now running), journals every change with the steps that undo it, and when a change
/// fails undoes the journal newest first. Also destroys a lab. Keeps the lab record (`lab.json`)
/// up to date. All host effects go through `host`, so apply and rollback are unit-testable.
public final class TopologyApplier {
    public let model: LabModel
    /// The topology file's path, as recorded.
    public let file: String
    public let host: any TopologyHost
    /// What earlier applies made (read at init; written as this one goes).
    public var record: LabRecord
    /// Whether a record existed when this applier was made.
    public let hasRecord: Bool
    /// Every change made so far in this run, with how to undo it.
    private var journal: [(PlannedChange, [ChangeStep])] = []

    public var recordPath: String { model.directory + "/lab.json" }

    public init(model: LabModel, file: String, host: any TopologyHost) {
        self.model = model
        self.file = file
        self.host = host
        let stored = host.readRecord(at: model.directory + "/lab.json")
        hasRecord = stored != nil
        record = stored ?? LabRecord(name: model.name, file: file)
    }

    func saveRecord() { host.writeRecord(record, at: recordPath) }

    // MARK: - plan, apply, destroy

    /// What `apply` would do now (optionally only for one host).
    public func plan(onlyHost: String? = nil) throws(TopologyHostError) -> [PlannedChange] {
        let changes = Planner.plan(desired: model, observed: observe(), record: hasRecord ? record : nil)
        guard let onlyHost else { return changes }
        return try Planner.only(changes, host: onlyHost, model: model)
    }

    /// Brings the machine to the model; reports each change as it is made and returns how many
    /// were made (the length of `plan` when nothing moved in between). A failure undoes every
    /// change this apply made, newest first, and throws which change failed and why.
    @discardableResult
    public func apply(onlyHost: String? = nil, report: (PlannedChange) -> Void = { _ in }) throws(TopologyHostError) -> Int {
        let changes = try plan(onlyHost: onlyHost)
        if changes.isEmpty { return 0 }
        // Lab plumbing first (namespaces, daemons, links); then what the daemons hold, planned
        // again against the daemons now running (a restarted daemon brings back its own state).
        let plumbing = changes.filter { $0.action == .delete || !$0.object.isDaemonObject && !Self.isLate($0.object) }
        var made: [PlannedChange] = []
        try run(plumbing) { made.append($0); report($0) }
        var rest = Planner.plan(desired: model, observed: observe(), record: record)
        if let onlyHost { rest = try Planner.only(rest, host: onlyHost, model: model) }
        try run(rest) { made.append($0); report($0) }
        journal.removeAll()
        record.name = model.name
        record.file = file
        record.namespaces = Array(Set(record.namespaces).union(model.namespaces.filter { ns in
            !model.hosts.contains { $0.namespace == ns } })).sorted()
        var objects = Planner.objects(of: model)
        if onlyHost != nil { objects += record.objects.filter { !objects.contains($0) } }
        record.objects = objects
        saveRecord()
        return made.count
    }

    /// Removes what the file declares (and what earlier applies of it made); reports each change.
    /// Goes on past failures and throws them all at the end; the lab directory goes when all went well.
    @discardableResult
    public func destroy(report: (PlannedChange) -> Void = { _ in }) throws(TopologyHostError) -> Int {
        let changes = Planner.destroyPlan(desired: model, observed: observe(), record: hasRecord ? record : nil)
        var failures: [String] = []
        for c in changes {
            do {
                _ = try perform(c.step)
                report(c)
            } catch {
                failures.append("\(c.summary): \(error)")
            }
        }
        guard failures.isEmpty else {
            saveRecord()
            throw TopologyHostError("could not destroy \(file) completely: " + failures.joined(separator: "; "))
        }
        host.removeDirectory(model.directory)
        return changes.count
    }

    /// Changes that depend on the daemons' objects (addresses on internal ports, node settings).
    static func isLate(_ o: ObjectRef) -> Bool {
        switch o {
        case .address, .nodeConfig: return true
        default: return false
        }
    }

    // MARK: - run and roll back

    /// Runs `changes` in order; on a failure undoes what this apply did and throws which change failed and why.
    func run(_ changes: [PlannedChange], report: (PlannedChange) -> Void) throws(TopologyHostError) {
        for c in changes {
            do {
                let undo = try perform(c.step)
                journal.append((c, undo))
                report(c)
            } catch {
                let undone = rollback()
                saveRecord()
                let note = undone > 0 ? " (rolled back \(undone) change\(undone == 1 ? "" : "s"))" : ""
                throw TopologyHostError("\(c.description.dropFirst(2)) failed: \(error)\(note)")
            }
        }
    }

    /// Undoes the journal, newest first; returns how many changes were undone.
    func rollback() -> Int {
        var n = 0
        for (_, undo) in journal.reversed() {
            for step in undo { _ = try? perform(step) }
            n += 1
        }
        journal.removeAll()
        return n
    }

    // MARK: - observe

    func socket(of hostName: String) -> String? {
        model.host(named: hostName)?.socketPath ?? record.host(named: hostName)?.socketPath
    }

    func call<M: RPCMethod>(_ m: M.Type, _ params: M.Params, host name: String, timeout: Int = 30) throws(TopologyHostError) -> M.Result {
        guard let path = socket(of: name) else { throw TopologyHostError("no socket for host \(name)") }
        return try host.call(m, params, socket: path, timeout: timeout)
    }

    /// What is there now: the lab's namespaces, each host daemon's bridges and networks, addresses, links, nodes.
    public func observe() -> ObservedLab {
        var o = ObservedLab()
        let all = host.namespaces()
        o.namespaces = all.intersection(Set(model.namespaces + record.namespaces + record.hosts.compactMap(\.namespace)))
        for h in model.hosts {
            if let ns = h.namespace, !o.namespaces.contains(ns) { continue }
            guard let show = try? call(Methods.Show.self, ShowParams(), host: h.name, timeout: 5) else { continue }
            var oh = ObservedHost()
            oh.bridges = show.bridges.map { b in
                var c = BridgeConfig(name: b.name, mode: b.mode, macAging: b.macAging, macTableSize: b.macTableSize)
                c.ports = b.ports.map(\.config)
                c.staticMACs = b.staticMACs
                c.stp = b.stp
                return c
            }
            if let list = try? call(Methods.NetList.self, Empty(), host: h.name, timeout: 5) {
                oh.networks = list.networks.compactMap { n in
                    let params = NetworkDumpXMLParams(network: n.name, inactive: true)
                    guard let xml = try? call(Methods.NetDumpXML.self, params, host: h.name, timeout: 5) else { return nil }
                    return ObservedNetwork(name: n.name, xml: xml.xml, active: n.active, autostart: n.autostart, bridge: n.bridge)
                }
            }
            if let ns = h.namespace {
                oh.addresses = host.addresses(in: ns)
                oh.forwarding = host.forwarding(in: ns)
            }
            o.hosts[h.name] = oh
        }
        if let u = model.underlay, o.namespaces.contains(u.namespace) {
            o.underlayBridge = host.interfaces(in: u.namespace).contains(LabUnderlay.bridgeName)
            for l in u.links where o.namespaces.contains(l.hostNamespace) {
                if host.addresses(in: l.hostNamespace)[LabUnderlay.hostInterface]?.contains(l.address.description) == true {
                    o.underlayLinks.insert(l.host)
                }
            }
        }
        for n in model.nodes where o.namespaces.contains(n.namespace) {
            let addrs = host.addresses(in: n.namespace)
            o.nodes[n.name] = ObservedNode(hasInterface: addrs[n.interface] != nil, addresses: addrs[n.interface] ?? [],
                                           defaultGateway: host.defaultGateway(in: n.namespace)?.description)
        }
        return o
    }
}
