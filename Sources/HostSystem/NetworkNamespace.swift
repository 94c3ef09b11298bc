import CTapestryShims
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs work inside a named network namespace (`ip netns` names, /run/netns/NAME).
///
/// `setns` changes one OS thread, so the work runs on a fresh thread that enters the namespace,
/// does the work and ends; the calling thread's namespace is never touched.
public enum NetworkNamespace {
    public static let directory = "/run/netns"

    public static func exists(_ name: String) -> Bool { access(directory + "/" + name, F_OK) == 0 }

    /// Runs `body` in namespace `name` (or right here when nil) and returns its result.
    public static func run<T: Sendable>(in name: String?, _ body: @escaping @Sendable () throws -> T) throws -> T {
        guard let name else { return try body() }
        let path = directory + "/" + name
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        guard nsfd >= 0 else { throw SystemError("open network namespace \(name)", errno: errno) }
        defer { close(nsfd) }
        let box = LockedBox<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let r = tp_netns_enter(nsfd)
            if r < 0 {
                box.set(.failure(SystemError("enter network namespace \(name)", errno: -r)))
                return
            }
            let result = Result { try body() }
            box.set(result)
        }
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        guard let result = box.get() else { throw SystemError("run in namespace \(name)", cause: "no result") }
        return try result.get()
    }
}
