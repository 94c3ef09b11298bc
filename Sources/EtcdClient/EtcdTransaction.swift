/// A condition of a transaction (etcd's `Compare`): a key's version, create or mod revision,
/// value or lease compared with a given one.
public struct EtcdCompare: Sendable, Equatable {
    /// What is compared.
    public enum Target: Sendable, Equatable {
        case version(Int64), createRevision(Int64), modRevision(Int64), value([UInt8]), lease(Int64)
    }
    /// How.
    public enum Result: String, Sendable { case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL" }
    public var key: [UInt8]
    public var result: Result
    public var target: Target

    public init(key: String, _ result: Result, _ target: Target) {
        self.key = Array(key.utf8); self.result = result; self.target = target
    }

    /// True when `key` does not exist (its create revision is 0).
    public static func absent(_ key: String) -> EtcdCompare { EtcdCompare(key: key, .equal, .createRevision(0)) }

    var body: CompareBody {
        var b = CompareBody(key: EtcdWireCoding.base64(key), result: result.rawValue, target: "")
        switch target {
        case .version(let v): b.target = "VERSION"; b.version = String(v)
        case .createRevision(let v): b.target = "CREATE"; b.create_revision = String(v)
        case .modRevision(let v): b.target = "MOD"; b.mod_revision = String(v)
        case .value(let v): b.target = "VALUE"; b.value = EtcdWireCoding.base64(v)
        case .lease(let v): b.target = "LEASE"; b.lease = String(v)
        }
        return b
    }
}

/// One operation of a transaction: put a key, delete a key or a prefix, read a key or a prefix.
public enum EtcdOperation: Sendable, Equatable {
    case put(key: String, value: [UInt8], lease: Int64)
    case delete(key: String)
    case deletePrefix(String)
    case get(key: String)
    case getPrefix(String)

    /// A put of UTF-8 text.
    public static func put(_ key: String, _ value: String, lease: Int64 = 0) -> EtcdOperation {
        .put(key: key, value: Array(value.utf8), lease: lease)
    }

    var body: RequestOpBody {
        switch self {
        case .put(let key, let value, let lease):
            return RequestOpBody(request_put: PutBody(key: EtcdKeyRange.b64(key), value: EtcdWireCoding.base64(value),
                                                      lease: lease == 0 ? nil : String(lease)))
        case .delete(let key):
            return RequestOpBody(request_delete_range: DeleteRangeBody(key: EtcdKeyRange.b64(key)))
        case .deletePrefix(let p):
            return RequestOpBody(request_delete_range: DeleteRangeBody(key: EtcdKeyRange.b64(p), range_end: EtcdKeyRange.prefixEnd(p)))
        case .get(let key):
            return RequestOpBody(request_range: RangeBody(key: EtcdKeyRange.b64(key)))
        case .getPrefix(let p):
            return RequestOpBody(request_range: RangeBody(key: EtcdKeyRange.b64(p), range_end: EtcdKeyRange.prefixEnd(p)))
        }
    }
}

/// What a transaction did: whether the conditions held (then `success` ran, else `failure`), the
/// store's revision after it, and the key-values read by its `get` operations, in order.
public struct EtcdTxnResult: Sendable {
    public var succeeded: Bool
    public var revision: Int64
    public var reads: [[EtcdKeyValue]]
}

/// Key ranges as etcd spells them: a prefix is [prefix, prefix with its last byte + 1).
enum EtcdKeyRange {
    static func b64(_ key: String) -> String { EtcdWireCoding.base64(Array(key.utf8)) }

    /// The range end that makes a range a prefix scan (base64).
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF { bytes[bytes.count - 1] = last + 1; return EtcdWireCoding.base64(bytes) }
            bytes.removeLast()
        }
        return EtcdWireCoding.base64([0])   // "\0": every key
    }
}
