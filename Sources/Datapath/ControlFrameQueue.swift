import HostSystem

/// Frames the datapath takes out of the fast path for the control plane (spanning tree BPDUs to
/// 01:80:C2:00:00:00), per bridge. Bounded: when the control plane falls behind, further frames
/// are counted and dropped, so a BPDU flood costs a copy per frame and no more.
public final class ControlFrameQueue: @unchecked Sendable {
    public static let capacity = 256
    private let box = LockedBox<[(port: String, frame: [UInt8])]>([])
    private let droppedBox = LockedBox<UInt64>(0)

    public init() {}

    func push(port: String, frame: UnsafeRawBufferPointer) {
        let full = box.update { q -> Bool in
            guard q.count < ControlFrameQueue.capacity else { return true }
            q.append((port, Array(frame.prefix(1518))))
            return false
        }
        if full { droppedBox.update { $0 += 1 } }
    }

    /// Takes every queued frame, oldest first.
    public func drain() -> [(port: String, frame: [UInt8])] {
        box.update { q in
            let all = q
            q.removeAll(keepingCapacity: true)
            return all
        }
    }

    /// Frames dropped because the queue was full.
    public var dropped: UInt64 { droppedBox.get() }
}
