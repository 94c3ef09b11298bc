import TapestryModel

/// The control methods: each names its parameter and result types.
public protocol RPCMethod {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
}

public enum Methods {
    public enum Version: RPCMethod {
        public typealias Params = Empty
        public typealias Result = VersionInfo
        public static let name = "version"
    }
    public enum AddBridge: RPCMethod {
        public typealias Params = AddBridgeParams
        public typealias Result = Empty
        public static let name = "add-br"
    }
    public enum DeleteBridge: RPCMethod {
        public typealias Params = DeleteBridgeParams
        public typealias Result = Empty
        public static let name = "del-br"
    }
    public enum SetBridge: RPCMethod {
        public typealias Params = SetBridgeParams
        public typealias Result = Empty
        public static let name = "set-br"
    }
    public enum AddPort: RPCMethod {
        public typealias Params = AddPortParams
        public typealias Result = Empty
        public static let name = "add-port"
    }
    public enum DeletePort: RPCMethod {
        public typealias Params = DeletePortParams
        public typealias Result = Empty
        public static let name = "del-port"
    }
    public enum SetPort: RPCMethod {
        public typealias Params = SetPortParams
        public typealias Result = Empty
        public static let name = "set-port"
    }
    public enum Show: RPCMethod {
        public typealias Params = ShowParams
        public typealias Result = ShowResult
        public static let name = "show"
    }
    public enum FDBShow: RPCMethod {
        public typealias Params = FDBShowParams
        public typealias Result = FDBShowResult
        public static let name = "fdb-show"
    }
    public enum FDBFlush: RPCMethod {
        public typealias Params = FDBFlushParams
        public typealias Result = FDBFlushResult
        public static let name = "fdb-flush"
    }
    public enum FDBAdd: RPCMethod {
        public typealias Params = FDBEntryParams
        public typealias Result = Empty
        public static let name = "fdb-add"
    }
    public enum FDBDelete: RPCMethod {
        public typealias Params = FDBEntryParams
        public typealias Result = Empty
        public static let name = "fdb-del"
    }
    public enum Stats: RPCMethod {
        public typealias Params = StatsParams
        public typealias Result = StatsResult
        public static let name = "stats"
    }
}
