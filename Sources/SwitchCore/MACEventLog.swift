import TapestryModel

/// A bounded log of MAC table changes (learned, moved, aged) for `tapestry events`: a ring of
/// preallocated records, so recording never allocates; the oldest records are overwritten.
/// Written by the MAC table with its writer lock held (any datapath thread); read by the control
/// path while the datapath threads are stopped.
public final class MACEventLog {
    public enum Kind: UInt8, Sendable { case learned, moved, aged }

    /// One change; `sequence` grows by one per record, so readers can ask for what is new.
    public struct Record: Sendable, Equatable {
        public var sequence: UInt64
        public var kind: Kind
        public var mac: MACAddress
        public var vlan: UInt16
        public var port: UInt32
        public var time: Int64
    }

    private var ring: [Record]
    public private(set) var nextSequence: UInt64 = 0

    public init(capacity: Int = 4096) {
        ring = Array(repeating: Record(sequence: 0, kind: .learned, mac: .zero, vlan: 0, port: 0, time: 0),
                     count: max(1, capacity))
    }

    @inline(__always)
    public func record(_ kind: Kind, mac: MACAddress, vlan: UInt16, port: UInt32, time: Int64) {
        ring[Int(nextSequence % UInt64(ring.count))] = Record(sequence: nextSequence, kind: kind, mac: mac, vlan: vlan,
                                                              port: port, time: time)
        nextSequence &+= 1
    }

    /// Records with a sequence number of at least `from` that are still in the ring, oldest first.
    public func records(from: UInt64) -> [Record] {
        let oldest = nextSequence > UInt64(ring.count) ? nextSequence - UInt64(ring.count) : 0
        var out: [Record] = []
        var s = max(from, oldest)
        while s < nextSequence {
            out.append(ring[Int(s % UInt64(ring.count))])
            s += 1
        }
        return out
    }
}
