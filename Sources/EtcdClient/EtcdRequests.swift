/// Encodable bodies of the JSON gateway's requests (etcd's protobuf messages as JSON: bytes in
/// base64, int64 as strings, snake_case names).
struct RangeBody: Encodable {
    var key: String
    var range_end: String?
    var limit: String?
    var revision: String?
    var keys_only: Bool?
    var count_only: Bool?
}

struct PutBody: Encodable {
    var key: String
    var value: String
    var lease: String?
    var prev_kv: Bool?
}

struct DeleteRangeBody: Encodable {
    var key: String
    var range_end: String?
    var prev_kv: Bool?
}

struct RequestOpBody: Encodable {
    var request_range: RangeBody?
    var request_put: PutBody?
    var request_delete_range: DeleteRangeBody?
}

struct CompareBody: Encodable {
    var key: String
    var range_end: String?
    var result: String
    var target: String
    var version: String?
    var create_revision: String?
    var mod_revision: String?
    var value: String?
    var lease: String?
}

struct TxnBody: Encodable {
    var compare: [CompareBody]
    var success: [RequestOpBody]
    var failure: [RequestOpBody]
}

struct LeaseGrantBody: Encodable {
    var TTL: String
    var ID: String?
}

struct LeaseIDBody: Encodable {
    var ID: String
}

struct AuthenticateBody: Encodable {
    var name: String
    var password: String
}

struct WatchCreateBody: Encodable {
    struct Create: Encodable {
        var key: String
        var range_end: String?
        var start_revision: String?
        var prev_kv: Bool?
    }
    var create_request: Create
}
