import Foundation
import VhostUser

/// What sending into one of a guest's receive queues needs for itself: the lock the datapath
/// threads that share the queue take for a batch, the scratch memory of the slow path (tag edit,
/// checksum, segmentation) and the virtio-net header being written, and whether the queue holds
/// used entries the guest has not been shown. One per receive queue of a `VhostUserPort`.
final class VhostUserSendLane: @unchecked Sendable {
    static let scratchSize = 3 * 65536

    /// Serializes sends into this receive queue (threads k and k + queues share it).
    let lock = NSLock()
    let scratch: UnsafeMutableRawPointer
    let header: UnsafeMutableRawPointer
    let tag: UnsafeMutableRawPointer
    /// The queue holds used entries not yet published (in raw memory: no exclusivity check per frame).
    let dirty: UnsafeMutablePointer<Bool>

    init() {
        scratch = .allocate(byteCount: VhostUserSendLane.scratchSize, alignment: 64)
        header = .allocate(byteCount: 16, alignment: 8)
        tag = .allocate(byteCount: 4, alignment: 4)
        dirty = .allocate(capacity: 1)
        dirty.initialize(to: false)
    }

    deinit { scratch.deallocate(); header.deallocate(); tag.deallocate(); dirty.deallocate() }
}
