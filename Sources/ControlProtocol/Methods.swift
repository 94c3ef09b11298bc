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

extension Methods {
    /// Several edits applied as one: validated, persisted and reconciled together, or not at all.
    public enum Transaction: RPCMethod {
        public typealias Params = TransactionParams
        public typealias Result = Empty
        public static let name = "transaction"
    }

    /// Methods that edit the desired state (and may be part of a transaction).
    public static let editingMethodNames: Set<String> = [
        AddBridge.name, DeleteBridge.name, SetBridge.name, AddPort.name, DeletePort.name, SetPort.name,
        FDBAdd.name, FDBDelete.name, MirrorAdd.name, MirrorDelete.name,
    ]
}

/// `transaction`: the operations, each `{"method": ..., "params": {...}}` as in a request.
public struct TransactionParams: Codable, Sendable {
    public var operations: [TransactionOperation]
    public init(operations: [TransactionOperation]) { self.operations = operations }
}

/// One operation of a transaction.
public struct TransactionOperation: Codable, Sendable {
    public var method: String
    public var params: JSONValue
    public init(method: String, params: JSONValue) { self.method = method; self.params = params }
}

/// Any JSON value, for parameters that are decoded later by method.
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n.rounded() == n && abs(n) < 9e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
