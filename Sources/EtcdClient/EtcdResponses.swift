/// Decodable answers of the JSON gateway.
struct ResponseHeader: Decodable {
    var revision: Int64
    enum CodingKeys: String, CodingKey { case revision }
    init(from decoder: Decoder) throws {
        revision = try decoder.container(keyedBy: CodingKeys.self).etcdInt64(.revision)
    }
    init(revision: Int64) { self.revision = revision }
}

struct RangeAnswer: Decodable {
    var header: ResponseHeader?
    var kvs: [EtcdKeyValue]?
    var count: Int64
    var more: Bool
    enum CodingKeys: String, CodingKey { case header, kvs, count, more }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(ResponseHeader.self, forKey: .header)
        kvs = try c.decodeIfPresent([EtcdKeyValue].self, forKey: .kvs)
        count = try c.etcdInt64(.count)
        more = try c.decodeIfPresent(Bool.self, forKey: .more) ?? false
    }
}

struct PutAnswer: Decodable {
    var header: ResponseHeader?
    var prev_kv: EtcdKeyValue?
}

struct DeleteRangeAnswer: Decodable {
    var header: ResponseHeader?
    var deleted: Int64
    var prev_kvs: [EtcdKeyValue]?
    enum CodingKeys: String, CodingKey { case header, deleted, prev_kvs }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(ResponseHeader.self, forKey: .header)
        deleted = try c.etcdInt64(.deleted)
        prev_kvs = try c.decodeIfPresent([EtcdKeyValue].self, forKey: .prev_kvs)
    }
}

struct ResponseOpAnswer: Decodable {
    var response_range: RangeAnswer?
    var response_put: PutAnswer?
    var response_delete_range: DeleteRangeAnswer?
}

struct TxnAnswer: Decodable {
    var header: ResponseHeader?
    var succeeded: Bool?
    var responses: [ResponseOpAnswer]?
}

struct LeaseAnswer: Decodable {
    var header: ResponseHeader?
    var id: Int64
    var ttl: Int64
    var error: String?
    enum CodingKeys: String, CodingKey { case header, id = "ID", ttl = "TTL", error }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(ResponseHeader.self, forKey: .header)
        id = try c.etcdInt64(.id)
        ttl = try c.etcdInt64(.ttl)
        error = try c.decodeIfPresent(String.self, forKey: .error)
    }
}

/// A streamed message: `{"result": …}` or `{"error": …}`.
struct StreamMessage<Result: Decodable>: Decodable {
    var result: Result?
    var error: ErrorAnswer?
}

struct ErrorAnswer: Decodable {
    var code: Int?
    var message: String?
    var error: String?
}

struct AuthenticateAnswer: Decodable {
    var token: String?
}

struct WatchAnswer: Decodable {
    struct Event: Decodable {
        var type: String?
        var kv: EtcdKeyValue?
    }
    var header: ResponseHeader?
    var watch_id: String?
    var created: Bool?
    var canceled: Bool?
    var cancel_reason: String?
    var compact_revision: Int64
    var events: [Event]?
    enum CodingKeys: String, CodingKey { case header, watch_id, created, canceled, cancel_reason, compact_revision, events }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(ResponseHeader.self, forKey: .header)
        watch_id = try? c.decodeIfPresent(String.self, forKey: .watch_id)
        created = try c.decodeIfPresent(Bool.self, forKey: .created)
        canceled = try c.decodeIfPresent(Bool.self, forKey: .canceled)
        cancel_reason = try c.decodeIfPresent(String.self, forKey: .cancel_reason)
        compact_revision = try c.etcdInt64(.compact_revision)
        events = try c.decodeIfPresent([Event].self, forKey: .events)
    }
}
