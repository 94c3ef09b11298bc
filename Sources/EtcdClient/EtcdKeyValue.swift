/// One key as etcd stores it: the bytes of key and value, the revisions that created and last
/// modified it, its version (number of changes since creation) and the lease it is bound to (0: none).
public struct EtcdKeyValue: Sendable, Equatable, Decodable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, lease: Int64 = 0) {
        self.key = key; self.value = value; self.createRevision = createRevision
        self.modRevision = modRevision; self.version = version; self.lease = lease
    }

    /// The key as UTF-8 text (invalid sequences repaired).
    public var keyString: String { String(decoding: key, as: UTF8.self) }
    /// The value as UTF-8 text (invalid sequences repaired).
    public var valueString: String { String(decoding: value, as: UTF8.self) }

    enum CodingKeys: String, CodingKey {
        case key, value, lease, version
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.etcdBytes(.key)
        value = try c.etcdBytes(.value)
        createRevision = try c.etcdInt64(.createRevision)
        modRevision = try c.etcdInt64(.modRevision)
        version = try c.etcdInt64(.version)
        lease = try c.etcdInt64(.lease)
    }
}

/// One change seen by a watch: a put (the new key-value) or a delete (the key and the revision
/// that deleted it in `kv.modRevision`).
public struct EtcdEvent: Sendable, Equatable {
    /// What happened to the key.
    public enum Kind: String, Sendable { case put = "PUT", delete = "DELETE" }
    public var kind: Kind
    public var kv: EtcdKeyValue

    public init(kind: Kind, kv: EtcdKeyValue) { self.kind = kind; self.kv = kv }
}
