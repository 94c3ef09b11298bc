import CTapestryShims
import Foundation
import SwitchCore

/// The fast path: one dedicated thread switching frames between the ports of every bridge.
///
/// The control path never touches the thread's state directly: it hands over a new
/// `DatapathConfig` or a command, wakes the thread through an eventfd, and waits for the thread
/// to run it between batches. The fast path never waits for the control path.
public final class Datapath: Sendable {
    public static let defaultSpinMicros: UInt64 = 0

    private let worker: DatapathWorker

    /// `spinMicros`: how long the datapath thread keeps polling after traffic before it sleeps
    /// (lower latency for request/response traffic at the price of some CPU; 0 turns it off).
    public init(spinMicros: UInt64 = Datapath.defaultSpinMicros) throws {
        let w = try DatapathWorker(spinMicros: spinMicros)
        worker = w
        let thread = Thread { w.run() }
        thread.name = "tapestry-dp"
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Runs `body` on the datapath thread between batches and returns its result.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (DatapathAccess) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultSlot<T>()
        worker.mailbox.update { $0.append({ w in result.value = body(DatapathAccess(worker: w)); done.signal() }) }
        _ = tp_eventfd_signal(worker.wakefd)
        done.wait()
        return result.value!
    }

    /// Installs `config`; returns once the datapath thread runs it (old fds may then be closed).
    public func publish(_ config: DatapathConfig) {
        perform { $0.worker.adopt(config) }
    }

    /// Stops the thread after its current batch.
    public func stop() {
        worker.running.store(false, ordering: .relaxed)
        _ = tp_eventfd_signal(worker.wakefd)
    }
}

/// What a command running on the datapath thread may use: the bridges' engines and the clock.
public struct DatapathAccess {
    let worker: DatapathWorker
    public func engine(_ bridge: String) -> BridgeEngine? { worker.engines[bridge] }
    public var now: Int64 { worker.now }
    /// The live captures (closed ones are dropped within a second).
    public var captures: [CaptureSession] { worker.captures }
    public func setCaptures(_ list: [CaptureSession]) { worker.setCaptures(list) }
    /// The ids of `bridge`'s captures in the order its pipeline names them (`FrameOutput.target`).
    public func captureIDs(of bridge: String) -> [Int] { worker.captureIDs(of: bridge) }
    /// Watches the vhost-user ports' current kick eventfds (call after replacing a port's queues).
    public func rewatchVhost() { worker.rewatchVhost() }
}

/// A result handed from the datapath thread to the waiting caller (a semaphore orders the accesses).
final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}
