import Testing
import VhostUser

/// `SplitVirtqueue.prefetch` is a hint over guest-controlled rings: it takes nothing, counts nothing,
/// and every chain is then refused or delivered by `pop` exactly as without it.
@Suite struct PrefetchTests {
    let dest = UnsafeMutableRawPointer.allocate(byteCount: 70_000, alignment: 64)

    /// A transmit ring with good frames around a head outside the table, buffers outside the region
    /// (past its end, wrapping around) and a zero-length buffer.
    func craftedTransmitRing() -> (TestRing, [[UInt8]]) {
        let ring = TestRing()
        let frames = (0..<3).map { frameBytes(64, seed: UInt8(20 + $0)) }
        ring.postTransmit(head: 5, frame: frames[0])
        ring.makeAvailable(300)  // a head outside the 256-entry table
        ring.setDesc(6, addr: TestRing.guestBase + UInt64(TestRing.regionSize) - 8, len: 76, flags: 0)
        ring.makeAvailable(6)
        ring.postTransmit(head: 7, frame: frames[1])
        ring.setDesc(8, addr: UInt64.max - 8, len: 76, flags: 0)
        ring.makeAvailable(8)
        ring.setDesc(9, addr: TestRing.guestBase + 0x20000, len: 0, flags: 0)
        ring.makeAvailable(9)
        ring.postTransmit(head: 10, frame: frames[2])
        return (ring, frames)
    }

    func drain(_ q: SplitVirtqueue) -> ([VirtioNetTransfer.Received], [[UInt8]]) {
        var results: [VirtioNetTransfer.Received] = []
        var got: [[UInt8]] = []
        for _ in 0..<20 {
            let r = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000)
            if r == .empty { break }
            results.append(r)
            if case .frame(let length) = r { got.append(Array(UnsafeRawBufferPointer(start: dest + 10, count: length - 10))) }
        }
        return (results, got)
    }

    @Test func prefetchTakesNothingAndPopStillRefusesBadChains() throws {
        let (ring, frames) = craftedTransmitRing()
        let q = try ring.queue(eventIdx: true)
        #expect(q.prefetch(max: 64, bytes: 128, write: false) == 7)
        #expect(q.prefetch(max: 64, bytes: 128, write: true) == 7)  // again, and as for a receive queue
        #expect(q.lastAvail == 0 && q.usedIdx == 0 && ring.usedIdx == 0)
        #expect(VirtqueueFault.allCases.allSatisfy { q.faults($0) == 0 })
        let (results, got) = drain(q)
        // The same outcome as the same ring served without the hint.
        let (plainRing, _) = craftedTransmitRing()
        let (plain, _) = drain(try plainRing.queue(eventIdx: true))
        #expect(results == plain)
        #expect(results == [.frame(length: 74), .fault(.badIndex), .fault(.badAddress), .frame(length: 74), .fault(.badAddress),
                            .fault(.badDescriptor), .frame(length: 74)])
        #expect(got == frames)
        #expect(q.faults(.badIndex) == 1 && q.faults(.badAddress) == 2 && q.faults(.badDescriptor) == 1)
        q.publish()
        // Every chain with a valid head went back to the guest; the bad head could not.
        #expect(ring.usedIdx == 6)
        #expect((0..<6).map { ring.usedEntry($0).id } == [5, 6, 7, 8, 9, 10])
    }

    @Test func prefetchCoversAtMostWhatIsAvailableMaxAndTheLimit() throws {
        let ring = TestRing()
        let q = try ring.queue()
        #expect(q.prefetch(max: 32, bytes: 128, write: true) == 0)  // nothing available
        for h in 0..<100 { ring.postReceive(head: h, len: 2048) }
        #expect(q.prefetch(max: 10, bytes: 76, write: true) == 10)
        #expect(q.prefetch(max: 1000, bytes: 76, write: true) == SplitVirtqueue.prefetchLimit)
        #expect(q.lastAvail == 0 && q.pending() == 100)
    }

    @Test func prefetchOnARingClaimingMoreThanItsSizeMarksItBrokenOnce() throws {
        let ring = TestRing(size: 8)
        let q = try ring.queue()
        ring.setAvailIdx(9)
        #expect(q.prefetch(max: 32, bytes: 128, write: false) == 0)
        #expect(q.broken && q.faults(.badIndex) == 1)
        #expect(q.prefetch(max: 32, bytes: 128, write: false) == 0)
        #expect(q.faults(.badIndex) == 1)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .empty)
    }

    @Test func kicksOffTwiceThenOnThenOffAgain() throws {
        for eventIdx in [false, true] {
            let ring = TestRing(size: 8)
            let q = try ring.queue(eventIdx: eventIdx)
            let flags = { (ring.base + TestRing.usedOffset).load(as: UInt16.self).littleEndian }
            let availEvent = { (ring.base + TestRing.usedOffset + 4 + 8 * 8).load(as: UInt16.self).littleEndian }
            ring.postTransmit(head: 0, frame: frameBytes(60))
            _ = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000)  // lastAvail 1
            q.disableKicks()
            q.disableKicks()
            if eventIdx { #expect(availEvent() == 0) } else { #expect(flags() == 1) }
            q.enableKicks()
            if eventIdx { #expect(availEvent() == 1) } else { #expect(flags() == 0) }
            for h in 1...2 {
                ring.postTransmit(head: h, frame: frameBytes(60))
                _ = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000)
            }
            q.disableKicks()  // asked again after kicks were on (lastAvail 3): written again
            if eventIdx { #expect(availEvent() == 2) } else { #expect(flags() == 1) }
        }
    }
}
