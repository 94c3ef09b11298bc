import CTapestryShims
@testable import Datapath
import SwitchCore
import Testing
import VhostUser

@Suite("VhostUserQueueCounters: per queue pair, one lane per thread, summed when read")
struct VhostUserQueueCountersTests {
    @Test func lanesAreSummedPerPair() {
        let c = VhostUserQueueCounters(lanes: 2, queuePairs: 4)
        c.lane(0).received(pair: 0, packets: 3, bytes: 180)
        c.lane(1).received(pair: 0, packets: 2, bytes: 120)
        c.lane(1).sent(pair: 3, packets: 5, bytes: 500)
        c.lane(2).sent(pair: 3, packets: 1, bytes: 60)  // a thread beyond the lanes shares lane 0
        let p = c.pairs
        #expect(p.count == 4)
        #expect(p[0] == VhostUserQueueTotals(pair: 0, rxPackets: 5, rxBytes: 300, txPackets: 0, txBytes: 0))
        #expect(p[3] == VhostUserQueueTotals(pair: 3, rxPackets: 0, rxBytes: 0, txPackets: 6, txBytes: 560))
        #expect(p[1].rxPackets + p[1].txPackets + p[2].rxPackets + p[2].txPackets == 0)
    }

    @Test func pairsOutsideTheRangeAndEmptyBatchesAreNotCounted() {
        let c = VhostUserQueueCounters(lanes: 1, queuePairs: 2)
        c.lane(0).received(pair: 2, packets: 1, bytes: 60)
        c.lane(0).received(pair: -1, packets: 1, bytes: 60)
        c.lane(0).sent(pair: 1, packets: 0, bytes: 0)
        #expect(c.pairs.allSatisfy { $0.rxPackets == 0 && $0.rxBytes == 0 && $0.txPackets == 0 && $0.txBytes == 0 })
        // Lanes do not share a cache line: the second lane starts a whole number of lines later.
        #expect(VhostUserQueueCounters(lanes: 2, queuePairs: 3).stride % 8 == 0)
    }

    /// Frames sent through the backend by "thread" 1 go into receive queue 1 of a guest with two
    /// pairs and are counted on pair 1 (packets and bytes as on the port), nothing on pair 0.
    @Test func backendCountsWhatItGaveToEachReceiveQueue() throws {
        let guest = TwoPairGuest()
        let port = VhostUserPort(threads: 2)
        port.queues = try guest.queues()
        let backend = VhostUserBackend(port: port)
        let counters = PortCounters(lanes: 2)
        let frames = (0..<3).map { n in [UInt8](repeating: UInt8(n + 1), count: 60 + n) }
        let vnet = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 8)
        vnet.initializeMemory(as: UInt8.self, repeating: 0, count: 12)
        defer { vnet.deallocate() }
        let slots = UnsafeMutablePointer<tp_tx_slot>.allocate(capacity: frames.count)
        defer { slots.deallocate() }
        let buffers = frames.map { f -> UnsafeMutablePointer<UInt8> in
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: f.count)
            p.initialize(from: f, count: f.count)
            return p
        }
        defer { buffers.forEach { $0.deallocate() } }
        for (i, f) in frames.enumerated() {
            var s = tp_tx_slot()
            s.frame = UnsafePointer(buffers[i]); s.len = UInt32(f.count)
            s.vnet = UnsafePointer(vnet.assumingMemoryBound(to: UInt8.self))
            slots[i] = s
        }
        backend.send(slots, count: frames.count, context: TransmitContext(queue: 1), counters: counters.lane(1))
        #expect(counters.txPackets == 3 && guest.usedIdx(pair: 1) == 3 && guest.usedIdx(pair: 0) == 0)
        let p = port.queueCounters.pairs
        #expect(p[1].txPackets == 3 && p[1].txBytes == counters.txBytes && p[1].txBytes == 60 + 61 + 62)
        #expect(p[0].txPackets == 0 && p[0].rxPackets == 0 && p[1].rxPackets == 0)
    }
}

/// A guest's two receive queues (vrings 0 and 2) in memory the test owns, each with 8 posted buffers.
private final class TwoPairGuest {
    static let ring = 8, bufferSize = 2048
    static let guestBase: UInt64 = 0x4000_0000, userBase: UInt64 = 0x7E00_0000_0000
    static let queueBytes = 0x1000 + ring * bufferSize
    let base: UnsafeMutableRawPointer
    let memory: GuestMemory

    init() {
        let size = 2 * TwoPairGuest.queueBytes
        base = .allocate(byteCount: size, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        memory = GuestMemory(regions: [.init(guestPhysical: TwoPairGuest.guestBase, userAddress: TwoPairGuest.userBase,
                                             size: UInt64(size), host: base)])
        for pair in 0..<2 {
            let q = base + pair * TwoPairGuest.queueBytes
            for i in 0..<TwoPairGuest.ring {
                let d = q + 16 * i  // descriptor i: a device-writable buffer
                let gpa = TwoPairGuest.guestBase + UInt64(pair * TwoPairGuest.queueBytes + 0x1000 + i * TwoPairGuest.bufferSize)
                d.storeBytes(of: gpa.littleEndian, as: UInt64.self)
                d.storeBytes(of: UInt32(TwoPairGuest.bufferSize).littleEndian, toByteOffset: 8, as: UInt32.self)
                d.storeBytes(of: UInt16(2).littleEndian, toByteOffset: 12, as: UInt16.self)
                (q + 0x400).storeBytes(of: UInt16(i).littleEndian, toByteOffset: 4 + 2 * i, as: UInt16.self)  // avail ring
            }
            (q + 0x400).storeBytes(of: UInt16(TwoPairGuest.ring).littleEndian, toByteOffset: 2, as: UInt16.self)  // avail.idx
        }
    }

    deinit { base.deallocate() }

    func queues() throws -> VhostUserQueues {
        let rx = try (0..<2).map { pair in
            let user = TwoPairGuest.userBase + UInt64(pair * TwoPairGuest.queueBytes)
            return try SplitVirtqueue(index: 2 * pair, size: TwoPairGuest.ring,
                                      address: VringAddress(index: 2 * pair, flags: 0, desc: user, used: user + 0x800, avail: user + 0x400, log: 0),
                                      memory: memory, base: 0, eventIdx: false)
        }
        return VhostUserQueues(memory: memory, receive: rx, transmit: [], features: VhostUserFeatures.version1)
    }

    /// used.idx of the receive queue of `pair`.
    func usedIdx(pair: Int) -> UInt16 {
        (base + pair * TwoPairGuest.queueBytes + 0x800).load(fromByteOffset: 2, as: UInt16.self).littleEndian
    }
}
