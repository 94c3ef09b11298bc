import HostSystem
import Testing
@testable import TapestryDaemon

/// The metrics endpoint's HTTP handling and its address parsing.
struct MetricsHTTPTests {
    func respond(_ text: String) -> MetricsHTTP.Response {
        MetricsHTTP.respond(to: Array(text.utf8)) { Array("m 1\n".utf8) }
    }

    @Test func getMetricsAnswersTheExposition() {
        let r = respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(r.status == 200)
        let text = String(decoding: r.encoded, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"))
        #expect(text.contains("Connection: close\r\n\r\nm 1\n"))
        #expect(respond("GET /metrics?x=1 HTTP/1.0\n\n").status == 200)
    }

    @Test func otherRequestsGetClearStatuses() {
        let head = respond("HEAD /metrics HTTP/1.1\r\n\r\n")
        #expect(head.status == 200 && String(decoding: head.encoded, as: UTF8.self).hasSuffix("\r\n\r\n"))
        #expect(respond("GET /nope HTTP/1.1\r\n\r\n").status == 404)
        let post = respond("POST /metrics HTTP/1.1\r\n\r\n")
        #expect(post.status == 405 && String(decoding: post.encoded, as: UTF8.self).contains("Allow: GET, HEAD\r\n"))
        #expect(respond("garbage\r\n\r\n").status == 400)
        #expect(respond("GET /metrics SPDY/3\r\n\r\n").status == 400)
    }

    @Test func headEndsAtTheBlankLine() {
        #expect(!MetricsHTTP.hasCompleteHead(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)))
        #expect(MetricsHTTP.hasCompleteHead(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        #expect(MetricsHTTP.hasCompleteHead(Array("GET / HTTP/1.0\n\n".utf8)))
    }

    @Test func endpointsParse() {
        #expect(TCPListener.parse("127.0.0.1:9420")! == ("127.0.0.1", 9420))
        #expect(TCPListener.parse("[::1]:9420")! == ("::1", 9420))
        for bad in ["9420", "127.0.0.1", "127.0.0.1:", ":9420", "127.0.0.1:99999", "::1:9420", "[::1]9420", "h:+1"] {
            #expect(TCPListener.parse(bad) == nil, "\(bad)")
        }
    }
}
