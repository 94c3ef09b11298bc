import Foundation

/// The JSON every record is stored as (sorted keys, so equal records are equal bytes).
public enum ClusterCodec {
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Our records are plain values: encoding cannot fail.
        return (try? Array(e.encode(value))) ?? []
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], key: String) throws(ClusterError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            let text = String(decoding: bytes.prefix(60), as: UTF8.self)
            throw ClusterError("key \(key): not a valid \(T.self) record (\(ClusterCodec.reason(error))): '\(text)'")
        }
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let k, _): return "no field \(k.stringValue)"
        case DecodingError.typeMismatch(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.valueNotFound(_, let c): return "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }
}
