import ArgumentParser

/// The `tapestry` command: the root that holds every verb. It talks to tapestryd over its control socket.
struct Tapestry: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "tapestry",
        abstract: "Configure and inspect Tapestry virtual switches through tapestryd.",
        discussion: """
            --socket and --format may come before the verb (tapestry --format json show) or after it. \
            Changes print nothing on success; errors print one line to stderr and exit with status 1.
            """,
        version: "tapestry \(Tapestry.version)",
        subcommands: [
            AddBridge.self, DeleteBridge.self, SetBridge.self,
            AddPort.self, DeletePort.self, SetPort.self,
            Show.self, ListBridges.self, ListPorts.self,
            FDBShow.self, FDBFlush.self, FDBAdd.self, FDBDelete.self,
            Stats.self, STPShowCommand.self,
            AddBond.self, DeleteBond.self, SetBond.self, BondShowCommand.self,
            NetDefine.self, NetCreate.self, NetStart.self, NetDestroy.self, NetUndefine.self, NetAutostart.self,
            NetList.self, NetInfo.self, NetUUID.self, NetName.self, NetDumpXML.self, NetEdit.self, NetUpdate.self,
            NetDHCPLeases.self,
            Capture.self, MirrorAdd.self, MirrorDelete.self, MirrorList.self, Trace.self, Events.self, Graph.self,
            Validate.self, Plan.self, Apply.self, Destroy.self, Export.self,
            Doctor.self, Proxy.self, ClusterCommand.self,
        ])

    /// The verbs' names, for wording errors.
    static var verbs: [String] { configuration.subcommands.compactMap { $0.configuration.commandName } }
}
