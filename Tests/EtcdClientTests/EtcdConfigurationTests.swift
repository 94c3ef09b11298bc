@testable import EtcdClient
import Foundation
import Testing

/// The endpoint list, the gateway's JSON spellings and key ranges, without a server.
struct EtcdConfigurationTests {
    @Test func parsesEndpointLists() throws {
        let c = try EtcdConfiguration.parse("etcd://10.0.0.1:2379,h2,[fd00::3]:2380")
        #expect(c.endpoints == [.init(host: "10.0.0.1", port: 2379), .init(host: "h2", port: 2379), .init(host: "fd00::3", port: 2380)])
        #expect(c.tls == nil)
        #expect(c.baseURL(0) == "http://10.0.0.1:2379")
        #expect(c.baseURL(2) == "http://[fd00::3]:2380")
        let s = try EtcdConfiguration.parse("etcds://a:1")
        #expect(s.tls != nil)
        #expect(s.baseURL(0) == "https://a:1")
        let t = try EtcdConfiguration.parse("etcd://a:1", tls: .init(caFile: "/ca.pem"))
        #expect(t.baseURL(0) == "https://a:1")
    }

    @Test(arguments: ["", "etcd://", "etcd://a:0", "etcd://a:99999", "etcd://a:x", "etcd://a,,b", "etcd://[::1", "etcd://a b:1"])
    func refusesBadEndpointLists(_ text: String) {
        #expect(throws: EtcdError.self) { try EtcdConfiguration.parse(text) }
    }

    @Test func decodesTheGatewaysSpellings() throws {
        let json = #"{"header":{"revision":"7"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"7","version":"3","value":"YmFy","lease":"123"}],"count":"1"}"#
        let a = try JSONDecoder().decode(RangeAnswer.self, from: Data(json.utf8))
        #expect(a.header?.revision == 7)
        let kv = try #require(a.kvs?.first)
        #expect(kv.keyString == "foo" && kv.valueString == "bar")
        #expect(kv.createRevision == 2 && kv.modRevision == 7 && kv.version == 3 && kv.lease == 123)
        // Zero fields are left out.
        let empty = try JSONDecoder().decode(RangeAnswer.self, from: Data(#"{"header":{"revision":"2"}}"#.utf8))
        #expect(empty.kvs == nil && empty.count == 0)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(RangeAnswer.self, from: Data(#"{"kvs":[{"key":"!!!"}]}"#.utf8))
        }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(RangeAnswer.self, from: Data(#"{"header":{"revision":"seven"}}"#.utf8))
        }
    }

    @Test func errorsComeOutOfStreamedAndPlainAnswers() {
        let e = EtcdClient.errorAnswer(Array(#"{"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14}"#.utf8), status: 503)
        #expect(e == .server(code: 14, message: "etcdserver: no leader"))
        #expect(e.isRetryableElsewhere)
        #expect(!EtcdError.server(code: 5, message: "etcdserver: requested lease not found").isRetryableElsewhere)
        #expect(EtcdError.server(code: 3, message: "etcdserver: invalid auth token").isAuthTokenProblem)
        #expect(throws: EtcdError.server(code: 5, message: "lease gone")) {
            try EtcdClient.decode(Array(#"{"error":{"code":5,"message":"lease gone"}}"#.utf8), StreamMessage<LeaseAnswer>.self, path: "/v3/lease/keepalive")
        }
    }

    @Test func prefixRangesEndAfterThePrefix() {
        #expect(EtcdKeyRange.prefixEnd("/a/") == Data("/a0".utf8).base64EncodedString())
        #expect(EtcdKeyRange.prefixEnd("") == Data([0]).base64EncodedString())
    }

    @Test func comparesAndOperationsSpellEtcdsEnums() throws {
        let c = EtcdCompare.absent("/k").body
        #expect(c.target == "CREATE" && c.create_revision == "0" && c.result == "EQUAL")
        let data = try JSONEncoder().encode(EtcdOperation.put("/k", "v", lease: 9).body)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""lease":"9""#) && text.contains(#""request_put""#))
    }
}
