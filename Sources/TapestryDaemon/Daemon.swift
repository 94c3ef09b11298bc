import ControlProtocol
import Datapath
import Foundation
import HostSystem
import Logging
import TapestryModel

/// The daemon: builds the services (bridges, networks, observability), the method table they
/// register into and the dispatcher that serves it; at start reconciles the host to the stored
/// desired state and brings back the networks. See ARCHITECTURE.md for the threads and lock order.
public final class Daemon: Sendable {
    public static let version = ControlDispatcher.version
    /// JSON-RPC requests of the control socket.
    public let dispatcher: ControlDispatcher
    let bridges: BridgeService
    let networks: NetworkService
    let observability: ObservabilityService
    /// Every method's handler (checked against `Methods.all` at start).
    let methods: MethodTable
    private let datapath: Datapath
    private let stopping = LockedBox(false)
    /// The cluster agent, when the daemon is a cluster member (`--cluster`).
    let cluster: ClusterAgent?

    /// Loads the desired state, removes leftovers of a previous run, and reconciles the host to it.
    public init(stateDirectory: String, logger: Logger, spinMicros: UInt64 = Datapath.defaultSpinMicros,
                datapathThreads: Int = 1, runDirectory: String = "/run/tapestry", socketGroup: gid_t? = nil,
                cluster clusterSettings: ClusterSettings? = nil) throws {
        let events = EventLog()
        datapath = try Datapath(threads: datapathThreads, spinMicros: spinMicros)
        bridges = try BridgeService(stateDirectory: stateDirectory, datapath: datapath, events: events, logger: logger,
                                    runDirectory: runDirectory, socketGroup: socketGroup)
        networks = NetworkService(stateDirectory: stateDirectory, bridges: bridges, logger: logger)
        observability = ObservabilityService(bridges: bridges, networks: networks, events: events)
        let table = MethodTable()
        methods = table
        dispatcher = ControlDispatcher(table: table, bridges: bridges)
        if let settings = clusterSettings {
            cluster = try ClusterAgent(settings: settings, bridges: bridges, networks: networks, stateDirectory: stateDirectory, logger: logger)
        } else {
            cluster = nil
        }
        bridges.register(in: table)
        networks.register(in: table)
        observability.register(in: table)
        let problems = table.mismatches()
        precondition(problems.isEmpty, "method table does not match Methods.all: \(problems.joined(separator: "; "))")
        networks.startNetworksAtLaunch()
        startEventDrain()
        bridges.startLinkMonitor()
        bridges.startSpanningTree()
        bridges.startBonds()
        cluster?.start()
    }

    /// Moves MAC table changes into the event log once a second, so that they keep their order
    /// with other events and the datapath's bounded ring does not overflow between readers.
    private func startEventDrain() {
        let t = Thread { [weak self] in
            while let daemon = self, !daemon.stopping.get() {
                daemon.observability.drainMACEventsNow()
                Thread.sleep(forTimeInterval: 1)
            }
        }
        t.name = "tapestry-events"
        t.start()
    }

    /// The text a scrape of `/metrics` returns.
    public func metricsExposition() -> [UInt8] { observability.metricsExposition() }

    /// Stops the networks and the datapath and takes ports down (owned taps are deleted unless `keepDevices`).
    public func shutdown(keepDevices: Bool) {
        stopping.set(true)
        cluster?.stop()
        bridges.stopSpanningTree()
        bridges.stopBonds()
        bridges.stopLinkMonitor()  // before the bridges' lock is taken for shutdown: its thread may wait for it
        networks.shutdown()
        bridges.shutdown(keepDevices: keepDevices)
        datapath.stop()
    }
}
