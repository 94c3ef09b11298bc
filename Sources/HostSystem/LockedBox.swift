import Foundation

/// A value shared between threads behind a lock. (A pthread mutex through NSLock rather than
/// Synchronization.Mutex, whose futex-based lock ThreadSanitizer cannot see, so `Tools/sanitize thread`
/// stays free of false reports.)
public final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func get() -> Value { lock.withLock { value } }
    public func set(_ newValue: Value) { lock.withLock { value = newValue } }
    public func update<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}
