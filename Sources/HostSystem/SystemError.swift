#if canImport(Glibc)
import Glibc
#endif

/// A failed system or library call: what was being done, to which object, and why.
/// Printed as `could not <operation>: <cause> (errno N)`.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let cause: String
    public let code: Int32

    public init(_ operation: String, errno code: Int32) {
        self.operation = operation
        self.code = code
        self.cause = String(cString: strerror(code))
    }

    public init(_ operation: String, cause: String, code: Int32 = 0) {
        self.operation = operation; self.cause = cause; self.code = code
    }

    public var description: String {
        code != 0 && !cause.contains("errno") ? "could not \(operation): \(cause) (errno \(code))" : "could not \(operation): \(cause)"
    }
}

/// Runs a shim call that returns -errno on failure (retried on EINTR); throws naming the operation.
@discardableResult @inline(__always)
public func shimCall(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws(SystemError) -> Int32 {
    do { return try Syscall.shim("", "", body) } catch { throw SystemError(operation(), errno: error.code) }
}
