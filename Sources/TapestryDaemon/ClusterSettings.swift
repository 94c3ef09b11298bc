import EtcdClient
import TapestryModel

/// How a daemon joins a cluster (`tapestryd --cluster … --cluster-name … --host-name … --underlay …`).
public struct ClusterSettings: Sendable {
    public var etcd: EtcdConfiguration
    public var cluster: String
    public var host: String
    /// The address this host's tunnels use (its VTEP), as registered.
    public var underlay: IPAddress
    /// Seconds of the host's lease: its registration and MACs vanish that long after it dies.
    public var leaseTTL: Int64
    /// How often locally learned MACs are looked at and published (seconds).
    public var publishInterval: Double
    /// `--arp-suppress`: snoop local VMs' IPv4 addresses, publish them with their MACs, answer ARP
    /// requests for the other hosts' addresses locally.
    public var arpSuppress: Bool

    public init(etcd: EtcdConfiguration, cluster: String, host: String, underlay: IPAddress, leaseTTL: Int64 = 3,
                publishInterval: Double = 0.1, arpSuppress: Bool = false) {
        self.etcd = etcd; self.cluster = cluster; self.host = host; self.underlay = underlay
        self.leaseTTL = leaseTTL; self.publishInterval = publishInterval; self.arpSuppress = arpSuppress
    }
}
