import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry add-port BRIDGE PORT [--type tap|internal|system] [--vlan V | --trunk LIST [--native V]
/// [--native-mode M]] [--isolated] [--netns NS] [--mtu N] [--mac MAC] [--may-exist]`.
struct AddPort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-port", abstract: "Add a port to a bridge.",
        discussion: """
            A port with neither --vlan nor --trunk is a trunk of every VLAN whose untagged frames are VLAN 1.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The bridge to add the port to (left out with --network).", valueName: "bridge"))
    var bridgeArgument: String?

    @Argument(help: ArgumentHelp("The port's name, which is also its netdev's name (at most 15 bytes).", valueName: "port"))
    var portArgument: String?

    @Option(help: ArgumentHelp("Add the port to this running network's bridge (net-start); then give only PORT.",
                               valueName: "name"))
    var network: String?

    @Option(help: ArgumentHelp("With --network: take the VLAN and bandwidth of this <portgroup> of the network (default: its default one).",
                               valueName: "name"))
    var portgroup: String?

    /// `add-port BRIDGE PORT`, or `add-port --network NET PORT`.
    var bridge: String { network != nil && portArgument == nil ? "" : bridgeArgument ?? "" }
    var port: String { portArgument ?? (network != nil ? bridgeArgument ?? "" : "") }

    @Option(help: ArgumentHelp("""
        tap (default): a tap the daemon creates, optionally moved into --netns; internal: a tap whose netdev \
        stays in the daemon's namespace (a host L3 port); system: an existing netdev attached as it is; \
        vxlan: a tunnel to --remote addresses with --vni; patch: one end of a pair joining two bridges (--peer); \
        vhost-user: a socket a VM's virtio-net (QEMU, DPDK) connects to; vhost-user-client: tapestryd connects to the \
        VM's socket (--socket-path) and reconnects.
        """, valueName: "tap|internal|system|vxlan|patch|vhost-user|vhost-user-client"))
    var type: String?

    @Option(help: ArgumentHelp("Make it an access port of this VLAN (1-4094).", valueName: "vlan"))
    var vlan: String?

    @Option(help: ArgumentHelp("Make it a trunk of these VLANs, e.g. 10,20-22 or all.", valueName: "list"))
    var trunk: String?

    @Option(help: ArgumentHelp("The trunk's native VLAN (untagged frames belong to it).", valueName: "vlan"))
    var native: String?

    @Option(help: ArgumentHelp("Whether the native VLAN is untagged (default) or tagged on the wire.",
                               valueName: "untagged|tagged"))
    var nativeMode: String?

    @Flag(help: "Never exchange frames with other isolated ports.")
    var isolated = false

    @Option(help: ArgumentHelp("Move a tap's netdev into this network namespace (ip netns).", valueName: "ns"))
    var netns: String?

    @Option(help: ArgumentHelp("The netdev's MTU (68-65521).", valueName: "n"))
    var mtu: Int?

    @Option(help: ArgumentHelp("The netdev's MAC address.", valueName: "mac"))
    var mac: String?

    @Option(help: ArgumentHelp("vxlan: the VXLAN network identifier (0-16777215).", valueName: "vni"))
    var vni: Int?

    @Option(help: ArgumentHelp("vxlan: a remote tunnel endpoint's IPv4 or IPv6 address (one family per port); repeat for head-end replication to several.",
                               valueName: "ip"))
    var remote: [String] = []

    @Option(help: ArgumentHelp("vxlan: the local underlay address to send from and listen on.", valueName: "ip"))
    var local: String?

    @Option(help: ArgumentHelp("vxlan: the UDP port (default 4789).", valueName: "port"))
    var dstPort: Int?

    @Option(help: ArgumentHelp("""
        vhost-user: where tapestryd listens (default <run-dir>/vhost-user/PORT.sock); vhost-user-client: the VM's \
        socket to connect to.
        """, valueName: "path"))
    var socketPath: String?

    @Option(help: ArgumentHelp("Learn at most this many MAC addresses on the port (1-1000000).", valueName: "n"))
    var maxMacs: Int?

    @Option(help: ArgumentHelp("patch: the patch port at the other end, on another bridge.", valueName: "port"))
    var peer: String?

    @Flag(help: "Succeed without change if the port already exists on this bridge.")
    var mayExist = false

    @OptionGroup var policy: PortPolicyOptions

    var context: CommandContext { CommandContext(verb: "add-port", object: port) }

    func makeParams() throws(CLIError) -> AddPortParams {
        if port.isEmpty { throw context.refuse(network == nil ? "give a bridge and a port name" : "give a port name") }
        let bridgeName = network != nil && bridge.isEmpty ? "" : try context.interfaceName(bridge, what: "bridge name")
        let portName = try context.interfaceName(port, what: "port name")
        let portType = try context.choice(type, option: "type", among: PortType.allCases) ?? .tap
        let access = try context.vlan(vlan)
        let allowed = try context.vlanSet(trunk)
        let nativeVLAN = try context.vlan(native)
        let mode = try context.choice(nativeMode, option: "native mode", among: [NativeMode.untagged, .tagged])
        if access != nil && (allowed != nil || nativeVLAN != nil || mode != nil) {
            throw context.refuse("--vlan (access) cannot be combined with --trunk, --native or --native-mode")
        }
        if let mtu, !(68...65521).contains(mtu) { throw context.refuse("MTU \(mtu) out of range 68-65521") }
        let address = try mac.map { text throws(CLIError) in try context.mac(text) }
        let namespace = try netns.map { text throws(CLIError) in try context.namespaceName(text) }
        var tunnel: VXLANConfig? = nil
        if portType == .vxlan {
            guard let vni else { throw context.refuse("a vxlan port needs --vni") }
            guard !remote.isEmpty else { throw context.refuse("a vxlan port needs at least one --remote") }
            let remotes = try remote.map { text throws(CLIError) in try context.underlayAddress(text, "--remote") }
            let localAddress = try local.map { text throws(CLIError) in try context.underlayAddress(text, "--local") }
            tunnel = VXLANConfig(vni: vni, remotes: remotes, local: localAddress, dstPort: dstPort ?? VXLANConfig.defaultPort)
        } else if vni != nil || !remote.isEmpty || local != nil || dstPort != nil {
            throw context.refuse("--vni, --remote, --local and --dst-port apply to --type vxlan only")
        }
        if portType == .patch && peer == nil { throw context.refuse("a patch port needs --peer") }
        if portType != .patch && peer != nil { throw context.refuse("--peer applies to --type patch only") }
        let peerName = try peer.map { text throws(CLIError) in try context.interfaceName(text, what: "peer name") }
        var config = PortConfig(name: portName, type: portType, vlan: access, trunk: allowed, native: nativeVLAN,
                                nativeMode: mode, isolated: isolated, netns: namespace, mtu: mtu, mac: address, vxlan: tunnel,
                                peer: peerName)
        config.maxMACs = maxMacs
        do throws(ModelError) {
            let edit = try policy.edit(port: portName)
            guard edit.clear.isEmpty else { throw ModelError("the --no-… policy options apply to set-port only") }
            config.policy = edit.applied(to: nil)
        } catch { throw context.refuse(error.message) }
        config.socketPath = socketPath
        do { try config.validate() } catch { throw context.refuse(error, droppingPrefix: "port \(portName): ") }
        if portgroup != nil && network == nil { throw context.refuse("--portgroup needs --network") }
        return AddPortParams(bridge: bridgeName, port: config, mayExist: mayExist, network: network, portGroup: portgroup)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.AddPort.self, makeParams(), context: context, timeout: .deviceChange)
    }
}
