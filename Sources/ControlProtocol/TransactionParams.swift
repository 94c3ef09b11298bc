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
