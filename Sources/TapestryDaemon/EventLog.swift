import ControlProtocol
import Foundation

/// Events for `tapestry events`: daemon-level ones (config, ports, helpers) recorded as they
/// happen, and MAC table changes drained from the datapath when asked. A bounded ring.
final class EventLog: @unchecked Sendable {
    static let capacity = 8192
    private let lock = NSLock()
    private var records: [EventRecord] = []
    private var nextSequence: UInt64 = 0

    func record(_ kind: String, bridge: String? = nil, port: String? = nil, _ detail: String, time: Double? = nil) {
        lock.lock(); defer { lock.unlock() }
        records.append(EventRecord(sequence: nextSequence, time: time ?? Date().timeIntervalSince1970, kind: kind,
                                   bridge: bridge, port: port, detail: detail))
        nextSequence += 1
        if records.count > EventLog.capacity { records.removeFirst(records.count - EventLog.capacity) }
    }

    func since(_ cursor: UInt64?) -> EventsResult {
        lock.lock(); defer { lock.unlock() }
        let from = cursor ?? 0
        return EventsResult(events: records.filter { $0.sequence >= from }, next: nextSequence)
    }
}
