import Datapath
import HostSystem
import TapestryModel
import VhostUser

/// A port as it exists on the host now: its device fds, datapath backend, identity and counters.
final class RealizedPort {
    let config: PortConfig
    let bridge: String
    let id: UInt32
    /// The fds the daemon owns and closes when the port goes (tap queues, packet sockets).
    let fds: [Int32]
    /// The port's I/O; nil for a vxlan port, whose backend is built at publish (it needs the bridge's static MACs).
    let backend: (any PortBackend)?
    let counters: PortCounters
    /// The netdev as last seen (kept current by the link monitor).
    var link: LinkInfo
    /// When it was realized (monotonic µs): link reports read earlier say nothing about it.
    let realizedAt = LinkMonitor.now()
    /// For vhost-user ports: the socket endpoint (stopped when the port goes).
    let vhost: VhostUserEndpoint?
    /// For bonds: the members and their controller.
    let bond: BondRuntime?

    init(config: PortConfig, bridge: String, id: UInt32, fds: [Int32], backend: (any PortBackend)?, counters: PortCounters,
         link: LinkInfo, vhost: VhostUserEndpoint? = nil, bond: BondRuntime? = nil) {
        self.config = config; self.bridge = bridge; self.id = id; self.fds = fds; self.backend = backend
        self.counters = counters; self.link = link; self.vhost = vhost; self.bond = bond
    }

    /// Whether `next` can be applied without re-creating the device (only VLAN/isolation differ).
    func canAdopt(_ next: PortConfig, on bridgeName: String) -> Bool {
        bridgeName == bridge && next.type == config.type && next.netns == config.netns
            && next.mtu == config.mtu && next.mac == config.mac && next.vxlan == config.vxlan && next.peer == config.peer
            && next.socketPath == config.socketPath && next.bond == config.bond
    }

    /// Where the netdev lives: its namespace for taps, the daemon's own otherwise.
    var device: OwnedDevices.Device { OwnedDevices.Device(name: config.name, netns: config.netns) }
}
