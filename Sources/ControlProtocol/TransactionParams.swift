/// `transaction`: the operations, each `{"method": ..., "params": {...}}` as in a request.
public struct TransactionParams: Codable, Sendable {
    public var operations: [TransactionOperation]
    /// Refuse (with `RPCError.generationMismatch`) unless the configuration is still at this
    /// generation: a client that computed the operations from what it read retries then.
    public var expectGeneration: Int?
    public init(operations: [TransactionOperation], expectGeneration: Int? = nil) {
        self.operations = operations; self.expectGeneration = expectGeneration
    }
}

/// One operation of a transaction.
public struct TransactionOperation: Codable, Sendable {
    public var method: String
    public var params: JSONValue
    public init(method: String, params: JSONValue) { self.method = method; self.params = params }
}
