import AsyncHTTPClient
import Foundation
import NIOCore

/// Watches over `/v3/watch` (a streamed POST: one JSON message per line).
extension EtcdClient {
    /// Watches every key under `prefix` from `startRevision` (0: from now). The stream resumes on
    /// another member after a disconnect from the revision after the last change it delivered, so
    /// no change is missed or delivered twice. It ends by throwing `EtcdError.compacted` when that
    /// revision is gone (read again, then watch from the read's revision + 1), and when the
    /// consumer stops iterating.
    public func watch(prefix: String, startRevision: Int64 = 0) -> AsyncThrowingStream<EtcdWatchUpdate, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var next = startRevision
                var offset = 0
                var backoff = 0.05
                while !Task.isCancelled {
                    let i = (state.withLock { $0.preferred } + offset) % configuration.endpoints.count
                    do {
                        try await runWatch(i, prefix: prefix, next: &next, continuation) { backoff = 0.05 }
                        continuation.yield(.disconnected("\(configuration.endpoints[i]) closed the watch"))
                    } catch is CancellationError {
                        break
                    } catch let e as EtcdError {
                        if case .compacted = e { continuation.finish(throwing: e); return }
                        continuation.yield(.disconnected("\(configuration.endpoints[i]): \(e)"))
                    } catch {
                        if Task.isCancelled { break }
                        continuation.yield(.disconnected("\(configuration.endpoints[i]): \(EtcdClient.describe(error))"))
                    }
                    offset += 1
                    try? await Task.sleep(nanoseconds: UInt64(backoff * 1e9))
                    backoff = min(backoff * 2, 1)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runWatch(_ i: Int, prefix: String, next: inout Int64,
                          _ continuation: AsyncThrowingStream<EtcdWatchUpdate, Error>.Continuation,
                          onConnected: () -> Void) async throws {
        let token = try await token(for: i)
        let body = WatchCreateBody(create_request: .init(key: EtcdKeyRange.b64(prefix), range_end: EtcdKeyRange.prefixEnd(prefix),
                                                         start_revision: next > 0 ? String(next) : nil))
        var request = HTTPClientRequest(url: configuration.baseURL(i) + "/v3/watch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response = try await streaming.execute(request, deadline: .distantFuture)
        guard response.status == .ok else {
            let bytes = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            let e = EtcdClient.errorAnswer(bytes, status: Int(response.status.code))
            if e.isAuthTokenProblem { _ = state.withLock { $0.tokens.removeValue(forKey: i) } }
            throw e
        }
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            var start = 0
            while let nl = pending[start...].firstIndex(of: 10) {
                let line = Array(pending[start..<nl])
                start = nl + 1
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                try handle(line, endpoint: i, next: &next, continuation, onConnected: onConnected)
            }
            pending.removeFirst(start)
        }
    }

    private func handle(_ line: [UInt8], endpoint i: Int, next: inout Int64,
                        _ continuation: AsyncThrowingStream<EtcdWatchUpdate, Error>.Continuation,
                        onConnected: () -> Void) throws {
        let message = try EtcdClient.decode(line, StreamMessage<WatchAnswer>.self, path: "/v3/watch")
        if let e = message.error { throw EtcdError.server(code: e.code ?? 2, message: e.message ?? "watch failed") }
        guard let r = message.result else { return }
        if r.compact_revision > 0 { throw EtcdError.compacted(revision: r.compact_revision) }
        if r.canceled == true { throw EtcdError.server(code: 2, message: "watch canceled: \(r.cancel_reason ?? "no reason")") }
        if r.created == true {
            if next == 0 { next = (r.header?.revision ?? 0) + 1 }
            onConnected()
            state.withLock { $0.preferred = i }
            continuation.yield(.connected(endpoint: configuration.endpoints[i].description, resumeRevision: next))
        }
        let events = (r.events ?? []).compactMap { e -> EtcdEvent? in
            guard let kv = e.kv else { return nil }
            return EtcdEvent(kind: e.type == "DELETE" ? .delete : .put, kv: kv)
        }
        // After a reconnect etcd starts at `next`; drop anything older should a member send it.
        let fresh = events.filter { $0.kv.modRevision >= next }
        if let last = fresh.last {
            next = last.kv.modRevision + 1
            continuation.yield(.events(fresh, revision: last.kv.modRevision))
        }
    }
}
