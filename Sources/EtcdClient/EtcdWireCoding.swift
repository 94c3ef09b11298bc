import Foundation

/// How the JSON gateway spells etcd's protobuf fields: 64-bit integers as decimal strings, bytes
/// as base64, and fields equal to zero (or empty) left out. These helpers read and write them.
enum EtcdWireCoding {
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(fromBase64 text: String, field: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw EtcdError.malformedResponse("field \(field) is not base64: \(text.prefix(40))")
        }
        return [UInt8](data)
    }
}

extension KeyedDecodingContainer {
    /// An int64 field: a JSON string or number; absent means 0.
    func etcdInt64(_ key: Key) throws -> Int64 {
        if let s = try? decodeIfPresent(String.self, forKey: key) {
            guard let v = Int64(s) else {
                throw EtcdError.malformedResponse("field \(key.stringValue) is not an integer: \(s.prefix(40))")
            }
            return v
        }
        return try decodeIfPresent(Int64.self, forKey: key) ?? 0
    }

    /// A bytes field (base64); absent means empty.
    func etcdBytes(_ key: Key) throws -> [UInt8] {
        guard let s = try decodeIfPresent(String.self, forKey: key) else { return [] }
        return try EtcdWireCoding.bytes(fromBase64: s, field: key.stringValue)
    }
}
