import ClusterModel
import EtcdClient
import Foundation

/// One CLI run against the cluster: an etcd client and what it read.
struct ClusterSession: Sendable {
    let client: EtcdClient
    let keys: ClusterKeys

    init(_ options: ClusterCLIOptions, verb: String) throws(CLIError) {
        let config = try options.configuration(verb: verb)
        do { client = try EtcdClient(config) } catch { throw CLIError(message: "could not \(verb): \(error)") }
        keys = ClusterKeys(cluster: options.name)
    }

    /// Everything under the cluster's root, and the revision read.
    func read() async throws -> (ClusterView, Int64) {
        let (kvs, revision) = try await client.getPrefix(keys.root)
        var view = ClusterView(keys: keys)
        for kv in kvs { view.apply(key: kv.keyString, value: kv.value, modRevision: kv.modRevision, lease: kv.lease) }
        return (view, revision)
    }

    /// Runs `body` to completion from a synchronous verb, then closes the client.
    static func run<T: Sendable>(_ options: ClusterCLIOptions, verb: String,
                                 _ body: @escaping @Sendable (ClusterSession) async throws -> T) throws -> T {
        let session = try ClusterSession(options, verb: verb)
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body(session)) } catch { box.result = .failure(error) }
            await session.client.shutdown()
            done.signal()
        }
        done.wait()
        switch box.result {
        case .success(let v)?: return v
        case .failure(let e as CLIError)?: throw e
        case .failure(let e)?: throw CLIError(message: "could not \(verb): \(e)")
        case nil: throw CLIError(message: "could not \(verb): no result")
        }
    }
}

/// Carries a result out of a task (written once, before the semaphore is signalled).
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
