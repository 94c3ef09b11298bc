// In-process micro benchmark of the vhost-user ring code: 64-byte frames taken from a fake guest's
// transmit queue (`VirtioNetTransfer.receive`, a batch of 32) and given to another fake guest's
// receive queue (`VirtioNetTransfer.send`), each queue's batch prefetched first (`SplitVirtqueue.prefetch`)
// and used entries published once per batch, as the datapath
// does for a vhost-user to vhost-user hop without the switching decision. The fake guests repost
// every buffer they got back between batches (outside `deviceBatch`). Not a test; a tool to count
// instructions per frame without the noise of a shared machine:
//
//   valgrind --tool=callgrind --toggle-collect='*deviceBatch*' tapestry-vhostbench [FRAMES]
//
// (Ir of the collected part / FRAMES); it also prints its own ns per frame.

import Foundation
import VhostUser

/// A guest's side of one split virtqueue whose `size` descriptors each own one 2 KiB buffer.
final class FakeGuestRing {
    static let bufferSize = 2048
    let size: Int
    let base: UnsafeMutableRawPointer
    let guestBase: UInt64
    var availIdx: UInt16 = 0
    var usedSeen: UInt16 = 0
    let descOffset = 0, availOffset: Int, usedOffset: Int, bufferOffset: Int

    /// Lays the rings and buffers out at `base` (guest-physical `guestBase`); `writable` for a receive queue.
    init(base: UnsafeMutableRawPointer, guestBase: UInt64, size: Int, writable: Bool, frameLength: Int) {
        self.base = base; self.guestBase = guestBase; self.size = size
        availOffset = 16 * size
        usedOffset = (availOffset + 6 + 2 * size + 4095) & ~4095
        bufferOffset = (usedOffset + 6 + 8 * size + 4095) & ~4095
        for i in 0..<size {
            let d = base + 16 * i
            let len = writable ? FakeGuestRing.bufferSize : 12 + frameLength
            let b = bufferOffset + i * FakeGuestRing.bufferSize
            d.storeBytes(of: (guestBase + UInt64(b)).littleEndian, as: UInt64.self)
            d.storeBytes(of: UInt32(len).littleEndian, toByteOffset: 8, as: UInt32.self)
            d.storeBytes(of: UInt16(writable ? 2 : 0).littleEndian, toByteOffset: 12, as: UInt16.self)
            d.storeBytes(of: UInt16(0), toByteOffset: 14, as: UInt16.self)
            if !writable {
                (base + b).initializeMemory(as: UInt8.self, repeating: 0, count: 12)
                for k in 0..<frameLength { (base + b + 12 + k).storeBytes(of: UInt8(truncatingIfNeeded: k &* 7 &+ 2), as: UInt8.self) }
            }
            post(UInt16(i))
        }
    }

    var bytes: Int { bufferOffset + size * FakeGuestRing.bufferSize }

    func post(_ head: UInt16) {
        let a = base + availOffset
        a.storeBytes(of: head.littleEndian, toByteOffset: 4 + 2 * Int(availIdx & UInt16(size - 1)), as: UInt16.self)
        availIdx &+= 1
        a.storeBytes(of: availIdx.littleEndian, toByteOffset: 2, as: UInt16.self)
    }

    /// Reposts every buffer the device returned since the last call; returns how many.
    @discardableResult
    func recycle() -> Int {
        let u = base + usedOffset
        let idx = u.load(fromByteOffset: 2, as: UInt16.self).littleEndian
        var n = 0
        while usedSeen != idx {
            let id = u.load(fromByteOffset: 4 + 8 * Int(usedSeen & UInt16(size - 1)), as: UInt32.self).littleEndian
            post(UInt16(truncatingIfNeeded: id))
            usedSeen &+= 1
            n += 1
        }
        return n
    }

    var address: VringAddress {
        VringAddress(index: 0, flags: 0, desc: guestBase, used: guestBase + UInt64(usedOffset),
                     avail: guestBase + UInt64(availOffset), log: 0)
    }
}

let frames = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2_000_000 : 2_000_000
let ringSize = 256, batchSize = 32, frameLength = 64
let regionSize = 4 << 20
let region = UnsafeMutableRawPointer.allocate(byteCount: regionSize, alignment: 4096)
region.initializeMemory(as: UInt8.self, repeating: 0, count: regionSize)
let guestBase: UInt64 = 0x4000_0000
let memory = GuestMemory(regions: [.init(guestPhysical: guestBase, userAddress: guestBase, size: UInt64(regionSize), host: region)])
let tx = FakeGuestRing(base: region, guestBase: guestBase, size: ringSize, writable: false, frameLength: frameLength)
let rxOffset = (tx.bytes + 4095) & ~4095
let rx = FakeGuestRing(base: region + rxOffset, guestBase: guestBase + UInt64(rxOffset), size: ringSize, writable: true,
                       frameLength: frameLength)
precondition(rxOffset + rx.bytes <= regionSize)
let txq = try SplitVirtqueue(index: 1, size: ringSize, address: tx.address, memory: memory, base: 0, eventIdx: true)
let rxq = try SplitVirtqueue(index: 0, size: ringSize, address: rx.address, memory: memory, base: 0, eventIdx: true)

// The switch's side: a batch of buffers (10-byte header + frame), as ReceiveBatch.
let slot = 2048
let buffers = UnsafeMutableRawPointer.allocate(byteCount: batchSize * slot, alignment: 64)
let lengths = UnsafeMutablePointer<Int>.allocate(capacity: batchSize)

/// One batch: up to 32 frames out of the transmit queue, each into the receive queue; both published.
@inline(never)
func deviceBatch(_ txq: SplitVirtqueue, _ rxq: SplitVirtqueue, _ buffers: UnsafeMutableRawPointer,
                 _ lengths: UnsafeMutablePointer<Int>) -> Int {
    txq.prefetch(max: batchSize, bytes: 128, write: false)  // as the datapath worker does before a batch
    var k = 0
    while k < batchSize {
        let dest = buffers + k * slot
        guard case .frame(let length) = VirtioNetTransfer.receive(from: txq, headerLength: 12, into: dest, capacity: slot) else { break }
        lengths[k] = length
        k += 1
    }
    var sent = 0
    if k > 0 { rxq.prefetch(max: k, bytes: 12 + lengths[0] - 10, write: true) }  // as VhostUserBackend.send does
    for i in 0..<k {
        let p = UnsafeRawPointer(buffers + i * slot)
        if case .sent = VirtioNetTransfer.send(to: rxq, headerLength: 12, mergeable: true, vnet: p,
                                               pieces: FramePieces(p + 10, lengths[i] - 10)) { sent += 1 }
    }
    txq.publishAndSignal()
    rxq.publishAndSignal()
    return sent
}

var done = 0
let start = DispatchTime.now().uptimeNanoseconds
while done < frames {
    let n = deviceBatch(txq, rxq, buffers, lengths)
    precondition(n > 0, "no frame moved")
    done += n
    tx.recycle()
    rx.recycle()
}
let ns = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(done)
print("frames \(done) ns/frame \(String(format: "%.1f", ns)) (guest side included)")
