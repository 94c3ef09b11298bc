// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tapestry",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tapestryd", targets: ["tapestryd"]),
        .executable(name: "tapestry", targets: ["tapestry"]),
        .executable(name: "tapestry-ovs-vsctl", targets: ["tapestry-ovs-vsctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C: what Swift cannot import (TUN ioctls, epoll/eventfd, setns, AF_PACKET helpers).
        .target(
            name: "CTapestryShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // System library: libnl-route-3 (links nl-route-3 and nl-3).
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        // System library: libpcap (BPF filters and pcap files for `tapestry capture`).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Pure value types and the Codable desired state.
        .target(name: "TapestryModel"),
        // C: atomics on raw storage and a pthread mutex for the MAC table shared by datapath threads.
        .target(name: "CSwitchSync"),
        // Pure fast-path logic: frame views, MAC learning, forwarding decisions.
        .target(name: "SwitchCore", dependencies: ["TapestryModel", "CSwitchSync"]),
        // Pure rapid spanning tree (802.1D-2004): BPDU codec and the port machines, on an injected clock.
        .target(name: "SpanningTree"),
        // Pure link aggregation: LACPDU codec, the LACP selection/mux logic and bond hashing (802.1AX).
        .target(name: "Bonding"),
        // JSON-RPC types shared by daemon and CLI.
        .target(name: "ControlProtocol", dependencies: ["TapestryModel"]),
        // Syscalls and host plumbing: netlink, netns, tap, atomic files.
        .target(
            name: "HostSystem",
            dependencies: [
                "CTapestryShims", "CNetlink", "TapestryModel",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // vhost-user: the protocol, guest memory, split virtqueues and the socket endpoint.
        .target(name: "VhostUser", dependencies: ["CTapestryShims", "HostSystem"]),
        // Port backends and datapath threads around SwitchCore.
        .target(
            name: "Datapath",
            dependencies: [
                "SwitchCore", "HostSystem", "CTapestryShims", "TapestryModel", "VhostUser", "Bonding",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The daemon's parts: config store, reconciler, control server.
        .target(
            name: "TapestryDaemon",
            dependencies: [
                "Datapath", "HostSystem", "ControlProtocol", "TapestryModel", "SwitchCore", "NetworkController", "SpanningTree", "VhostUser",
                "EtcdClient", "ClusterModel", "Bonding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "tapestryd",
            dependencies: [
                "TapestryDaemon", "Datapath", "EtcdClient", "TapestryModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tapestry",
            dependencies: [
                "ControlProtocol", "TapestryModel", "HostSystem", "Topology", "NetworkController", "CPcap",
                "EtcdClient", "ClusterModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // etcd's v3 API through its JSON gateway: KV, transactions, leases, watches, failover, TLS and auth.
        .target(
            name: "EtcdClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The cluster, pure: key layout in etcd, records, the fabric from a topology file, plans,
        // what a host converges to, which MACs it publishes.
        .target(name: "ClusterModel", dependencies: ["TapestryModel", "Topology", "NetworkController"]),
        // libvirt-style networks: XML read/write and pure renderers (dnsmasq, radvd, nftables).
        .target(name: "NetworkController", dependencies: ["TapestryModel"]),
        // Topology files: YAML → model with file positions, validation, the plan as a pure diff.
        .target(
            name: "Topology",
            dependencies: ["TapestryModel", "NetworkController", "ControlProtocol", .product(name: "Yams", package: "Yams")]
        ),
        // ovs-vsctl's commands over Tapestry's configuration (pure: parsing, the OVSDB view, the plan).
        .target(name: "OVSCompat", dependencies: ["TapestryModel", "ControlProtocol"]),
        // The ovs-vsctl-compatible command libvirt runs (install it as `ovs-vsctl`).
        .executableTarget(name: "tapestry-ovs-vsctl", dependencies: ["OVSCompat", "ControlProtocol", "HostSystem"]),
        // In-process benchmark of the switching core (run by Tools/bench).
        .executableTarget(name: "tapestry-corebench", dependencies: ["SwitchCore", "TapestryModel"]),
        // In-process benchmark of the vhost-user ring code (instructions per frame under callgrind).
        .executableTarget(name: "tapestry-vhostbench", dependencies: ["VhostUser"]),
        // Simulated cluster hosts against a real etcd (run by Tools/bench's cluster scenario).
        .executableTarget(name: "tapestry-clusterbench", dependencies: ["EtcdClient", "ClusterModel", "TapestryModel"]),
        // Seeded frame fuzzer over SwitchCore (run by Tools/fuzz).
        .executableTarget(name: "tapestry-fuzz", dependencies: ["SwitchCore", "TapestryModel", "TestSupport"]),
        // Test helpers: in-memory ports, manual clock, frame builders, netns world.
        .target(name: "TestSupport", dependencies: ["SwitchCore", "TapestryModel", "HostSystem"]),
        .testTarget(name: "SwitchCoreTests", dependencies: ["SwitchCore", "TestSupport", "TapestryModel"]),
        .testTarget(name: "EtcdClientTests", dependencies: ["EtcdClient"]),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel", "Topology", "TapestryModel"]),
        .testTarget(name: "SpanningTreeTests", dependencies: ["SpanningTree"]),
        .testTarget(name: "BondingTests", dependencies: ["Bonding"]),
        .testTarget(name: "DatapathTests", dependencies: ["Datapath", "HostSystem", "CTapestryShims", "SwitchCore", "TapestryModel", "TestSupport", "VhostUser"]),
        .testTarget(name: "VhostUserTests", dependencies: ["VhostUser", "CTapestryShims"]),
        .testTarget(name: "TapestryModelTests", dependencies: ["TapestryModel", "ControlProtocol"]),
        .testTarget(name: "NetworkControllerTests", dependencies: ["NetworkController", "TapestryModel"]),
        .testTarget(name: "TopologyTests", dependencies: ["Topology", "TapestryModel", "NetworkController", "ControlProtocol"]),
        .testTarget(name: "OVSCompatTests", dependencies: ["OVSCompat", "ControlProtocol", "TapestryModel"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["TestSupport", "ControlProtocol", "TapestryModel", "HostSystem", "EtcdClient",
                           .product(name: "NIOPosix", package: "swift-nio")]
        ),
        // The control plane without root: the method registry (daemon and CLI read one declaration), the
        // one commit path, config.json compatibility.
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: ["tapestry", "TapestryDaemon", "ControlProtocol", "TapestryModel", "HostSystem",
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Running it on a host: the daemon's configuration file, sd_notify, the package (Tools/package).
        .testTarget(name: "OperationsTests", dependencies: ["tapestry", "TapestryDaemon", "HostSystem", "TestSupport"]),
        // Pure parts of capture, metrics and graph: frame summaries, the metrics HTTP handling, dot rendering.
        .testTarget(name: "ObservabilityTests", dependencies: ["tapestry", "TapestryDaemon", "HostSystem", "ControlProtocol", "TapestryModel"]),
    ],
    swiftLanguageModes: [.v6]
)
