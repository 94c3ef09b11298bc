import Foundation
import SwitchCore
import Synchronization

/// One bridge's switching state shared by every datapath thread: its engine (snapshot and the
/// one MAC table of the bridge). Threads decide batches of the same bridge at the same time without
/// a lock: the MAC table's lookups are lock-free and learning takes the table's own writer lock
/// for one entry's change (MACLearningTable), so learning and moves from any thread are never
/// lost and no thread waits for another's batch. The snapshot, the capture watches and the
/// ports' policies change only while every thread is stopped (`Datapath.quiesce`).
final class BridgeRuntime: @unchecked Sendable {
    let engine: BridgeEngine
    init(engine: BridgeEngine) { self.engine = engine }
}

/// How the control path stops one datapath thread between batches without waking it when idle.
///
/// The thread holds `activity` while it handles what one epoll wakeup brought, and lets go of it
/// before it sleeps in epoll again. The control path takes every thread's `activity` lock: a thread
/// asleep in epoll costs nothing (its lock is free); a busy thread sees `wanted` after its current
/// batch, lets go and waits until the control path is done. So the control path waits at most one
/// batch per thread, and a thread that wakes meanwhile waits for the lock before touching shared state.
/// pthread mutexes and a condition variable (NSLock, NSCondition), visible to ThreadSanitizer.
final class WorkerGate: @unchecked Sendable {
    let activity = NSLock()
    private let cond = NSCondition()
    private var wantedLocked = false
    /// A cheap check after each batch: is the control path waiting for this thread?
    let wanted = Atomic<Bool>(false)

    /// Control path: asks the thread to stop after its batch and takes its activity lock.
    func close() {
        cond.lock(); wantedLocked = true; cond.unlock()
        wanted.store(true, ordering: .releasing)
        activity.lock()
    }

    /// Control path: lets the thread go on.
    func open() {
        activity.unlock()
        wanted.store(false, ordering: .releasing)
        cond.lock(); wantedLocked = false; cond.broadcast(); cond.unlock()
    }

    /// Datapath thread (holding `activity`): hands the lock over until the control path is done.
    func yield() {
        activity.unlock()
        cond.lock()
        while wantedLocked { cond.wait() }
        cond.unlock()
        activity.lock()
    }
}
