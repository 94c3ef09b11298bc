import ArgumentParser
import ControlProtocol
import TapestryModel

/// `tapestry mirror-add BRIDGE NAME (--select-all | --select-port P,Q | --select-vlan V,W) --output-port O`.
struct MirrorAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror-add", abstract: "Mirror (SPAN) frames of ports or VLANs to an output port.",
        discussion: """
            Copies of the selected frames leave the output port as they arrived; the output port then carries \
            only mirrored traffic (what arrives on it is dropped). Frames of --select-port are those entering \
            or leaving those ports.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The bridge.")
    var bridge: String

    @Argument(help: "The mirror's name (letters, digits, '-', '_', '.').")
    var name: String

    @Flag(help: "Mirror every frame of the bridge.")
    var selectAll = false

    @Option(help: ArgumentHelp("Mirror frames entering or leaving these ports, e.g. vm1,vm2.", valueName: "ports"))
    var selectPort: String?

    @Option(help: ArgumentHelp("Mirror frames of these VLANs, e.g. 10,20.", valueName: "vlans"))
    var selectVlan: String?

    @Option(help: ArgumentHelp("The port the copies go out of.", valueName: "port"))
    var outputPort: String?

    var context: CommandContext { CommandContext(verb: "mirror-add", object: name) }

    func makeParams() throws(CLIError) -> MirrorAddParams {
        let bridgeName = try context.interfaceName(bridge, what: "bridge name")
        let selections = [selectAll, selectPort != nil, selectVlan != nil].filter { $0 }.count
        guard selections == 1 else {
            throw context.refuse(selections == 0 ? "select something: --select-all, --select-port or --select-vlan"
                                 : "give only one of --select-all, --select-port and --select-vlan")
        }
        guard let outputPort else { throw context.refuse("give the --output-port the copies go out of") }
        let output = try context.interfaceName(outputPort, what: "output port name")
        var ports: [String] = []
        for p in (selectPort ?? "").split(separator: ",", omittingEmptySubsequences: false) where selectPort != nil {
            ports.append(try context.interfaceName(String(p), what: "port name"))
        }
        var vlans: [VLANID] = []
        for v in (selectVlan ?? "").split(separator: ",", omittingEmptySubsequences: false) where selectVlan != nil {
            vlans.append(try context.vlan(String(v)))
        }
        if Set(ports).count != ports.count { throw context.refuse("a port is selected twice") }
        if ports.contains(output) { throw context.refuse("port \(output) cannot be both selected and the output") }
        let mirror = MirrorConfig(name: name, selectAll: selectAll, selectPorts: ports, selectVLANs: vlans, output: output)
        return MirrorAddParams(bridge: bridgeName, mirror: mirror)
    }

    func validate() throws { _ = try makeParams() }

    func run() throws {
        _ = try options.call(Methods.MirrorAdd.self, makeParams(), context: context)
    }
}
