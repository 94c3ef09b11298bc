import TapestryModel

/// The control methods, each declared once: its name on the wire, its parameter and result types,
/// the service that handles it and whether it may be part of a `transaction`. `Methods.all` lists
/// them; the daemon's dispatch and the CLI's transaction builder both read these declarations.
public enum Methods {
    public enum Version: RPCMethod {
        public typealias Params = Empty
        public typealias Result = VersionInfo
        public static let name = "version"
        public static let service = ControlService.daemon
    }
    public enum AddBridge: RPCMethod {
        public typealias Params = AddBridgeParams
        public typealias Result = Empty
        public static let name = "add-br"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum DeleteBridge: RPCMethod {
        public typealias Params = DeleteBridgeParams
        public typealias Result = Empty
        public static let name = "del-br"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum SetBridge: RPCMethod {
        public typealias Params = SetBridgeParams
        public typealias Result = Empty
        public static let name = "set-br"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum AddPort: RPCMethod {
        public typealias Params = AddPortParams
        public typealias Result = Empty
        public static let name = "add-port"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum DeletePort: RPCMethod {
        public typealias Params = DeletePortParams
        public typealias Result = Empty
        public static let name = "del-port"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum SetPort: RPCMethod {
        public typealias Params = SetPortParams
        public typealias Result = Empty
        public static let name = "set-port"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum Show: RPCMethod {
        public typealias Params = ShowParams
        public typealias Result = ShowResult
        public static let name = "show"
        public static let service = ControlService.bridges
    }
    public enum FDBShow: RPCMethod {
        public typealias Params = FDBShowParams
        public typealias Result = FDBShowResult
        public static let name = "fdb-show"
        public static let service = ControlService.bridges
    }
    public enum FDBFlush: RPCMethod {
        public typealias Params = FDBFlushParams
        public typealias Result = FDBFlushResult
        public static let name = "fdb-flush"
        public static let service = ControlService.bridges
    }
    public enum FDBAdd: RPCMethod {
        public typealias Params = FDBEntryParams
        public typealias Result = Empty
        public static let name = "fdb-add"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum FDBDelete: RPCMethod {
        public typealias Params = FDBEntryParams
        public typealias Result = Empty
        public static let name = "fdb-del"
        public static let service = ControlService.bridges
        public static let transactional = true
    }
    public enum Stats: RPCMethod {
        public typealias Params = StatsParams
        public typealias Result = StatsResult
        public static let name = "stats"
        public static let service = ControlService.bridges
    }
}

extension Methods {
    /// Several edits applied as one: validated, persisted and reconciled together, or not at all.
    public enum Transaction: RPCMethod {
        public typealias Params = TransactionParams
        public typealias Result = Empty
        public static let name = "transaction"
        public static let service = ControlService.daemon
    }
}
