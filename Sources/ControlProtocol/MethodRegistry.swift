/// Every control method, in one list (one line each, so that additions merge cleanly). The daemon
/// refuses to start when a method here has no handler, or a handler has no method here.
extension Methods {
    public static let all: [any RPCMethod.Type] = [
        Version.self,
        Transaction.self,
        AddBridge.self,
        DeleteBridge.self,
        SetBridge.self,
        AddPort.self,
        DeletePort.self,
        SetPort.self,
        Show.self,
        FDBShow.self,
        FDBFlush.self,
        FDBAdd.self,
        FDBDelete.self,
        Stats.self,
        STPShow.self,
        AddBond.self,
        DeleteBond.self,
        SetBond.self,
        BondShow.self,
        MirrorAdd.self,
        MirrorDelete.self,
        MirrorList.self,
        Trace.self,
        CaptureStart.self,
        CaptureStop.self,
        Events.self,
        NetDefine.self,
        NetCreate.self,
        NetStart.self,
        NetDestroy.self,
        NetUndefine.self,
        NetAutostart.self,
        NetList.self,
        NetInfo.self,
        NetDumpXML.self,
        NetUpdate.self,
        NetDHCPLeases.self,
        OVSRecords.self,
    ]

    /// The declarations of `all`, by name.
    public static let declarations: [String: MethodDeclaration] = Dictionary(
        all.map { ($0.name, $0.declaration) }, uniquingKeysWith: { first, _ in first })

    /// The names of the methods that may be part of a transaction.
    public static var transactionalNames: Set<String> { Set(all.filter { $0.transactional }.map { $0.name }) }
}
