/// A JSON-RPC 2.0 request id: a number or a string.
public enum RPCID: Codable, Sendable, Equatable, CustomStringConvertible {
    case number(Int)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self { case .number(let n): "\(n)"; case .string(let s): s }
    }
}

/// The envelope of a request, read first to find the method; `params` are decoded per method.
public struct RPCRequestHeader: Codable, Sendable {
    public var jsonrpc: String
    public var id: RPCID?
    public var method: String
}

/// A whole request with typed parameters.
public struct RPCRequest<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc: String = "2.0"
    public var id: RPCID?
    public var method: String
    public var params: Params

    public init(id: RPCID?, method: String, params: Params) {
        self.id = id; self.method = method; self.params = params
    }
}

/// A JSON-RPC error object. Codes follow the spec; Tapestry's own start at -32000.
public struct RPCError: Codable, Sendable, Error, Equatable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) { self.code = code; self.message = message }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// The request was understood but refused (unknown bridge, duplicate port, ...).
    public static let operationFailed = -32000
    /// The request was larger than the daemon accepts.
    public static let requestTooLarge = -32001
    /// A transaction's `expectGeneration` no longer matches: read again and retry.
    public static let generationMismatch = -32002
}

/// A response: exactly one of `result` and `error` is set.
public struct RPCResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc: String = "2.0"
    public var id: RPCID?
    public var result: Result?
    public var error: RPCError?

    public init(id: RPCID?, result: Result) { self.id = id; self.result = result; self.error = nil }
    public init(id: RPCID?, error: RPCError) { self.id = id; self.result = nil; self.error = error }
}

/// A result or parameter set with nothing in it.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}

/// Framing: one JSON document per line, at most `maxMessageBytes` bytes.
public enum RPCFraming {
    public static let maxMessageBytes = 1 << 20
}
