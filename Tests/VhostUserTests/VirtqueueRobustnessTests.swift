import Testing
import VhostUser

/// Crafted rings a buggy or malicious guest could build: each is refused, counted, and never
/// crashes or hangs the device side.
@Suite struct VirtqueueRobustnessTests {
    let dest = UnsafeMutableRawPointer.allocate(byteCount: 70_000, alignment: 64)

    @Test func goodFrameRoundTripsThroughTransmitQueue() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let frame = frameBytes(60)
        var header = [UInt8](repeating: 0, count: 12)
        header[0] = 1; header[6] = 34; header[8] = 16  // NEEDS_CSUM, csum_start 34, csum_offset 16
        ring.postTransmit(head: 3, header: header, frame: frame)
        let r = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000)
        #expect(r == .frame(length: 10 + 60))
        #expect(Array(UnsafeRawBufferPointer(start: dest, count: 10)) == Array(header[0..<10]))
        #expect(Array(UnsafeRawBufferPointer(start: dest + 10, count: 60)) == frame)
        #expect(q.publish() == true)
        #expect(ring.usedIdx == 1)
        #expect(ring.usedEntry(0).id == 3)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .empty)
    }

    @Test func chainedFrameWithHeaderInItsOwnDescriptor() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let frame = frameBytes(100)
        let (h, _) = ring.buffer(12)
        let (f1, _) = ring.buffer(40, bytes: Array(frame[0..<40]))
        let (f2, _) = ring.buffer(60, bytes: Array(frame[40...]))
        ring.setDesc(0, addr: h, len: 12, flags: 1, next: 7)
        ring.setDesc(7, addr: f1, len: 40, flags: 1, next: 2)
        ring.setDesc(2, addr: f2, len: 60, flags: 0)
        ring.makeAvailable(0)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .frame(length: 110))
        #expect(Array(UnsafeRawBufferPointer(start: dest + 10, count: 100)) == frame)
    }

    @Test func addressOutsideTheRegionIsRefused() throws {
        let ring = TestRing()
        let q = try ring.queue()
        ring.setDesc(0, addr: TestRing.guestBase + UInt64(TestRing.regionSize) - 10, len: 64, flags: 0)  // runs past the end
        ring.makeAvailable(0)
        ring.setDesc(1, addr: 0x10, len: 64, flags: 0)  // below the region
        ring.makeAvailable(1)
        ring.setDesc(2, addr: UInt64.max - 8, len: 64, flags: 0)  // wraps around
        ring.makeAvailable(2)
        for _ in 0..<3 {
            #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.badAddress))
        }
        #expect(q.faults(.badAddress) == 3)
        q.publish()
        #expect(ring.usedIdx == 3)  // the buffers went back to the guest
        #expect(ring.usedEntry(1).len == 0)
    }

    @Test func descriptorLoopIsRefused() throws {
        let ring = TestRing(size: 8)
        let q = try ring.queue()
        let (b, _) = ring.buffer(16)
        ring.setDesc(0, addr: b, len: 16, flags: 1, next: 1)
        ring.setDesc(1, addr: b, len: 16, flags: 1, next: 0)  // 0 → 1 → 0 …
        ring.makeAvailable(0)
        ring.setDesc(2, addr: b, len: 0, flags: 1, next: 2)  // a zero-length self loop
        ring.makeAvailable(2)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.loop))
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.loop))
        #expect(q.faults(.loop) == 2)
    }

    @Test func oversizeChainIsRefused() throws {
        let ring = TestRing()
        let q = try ring.queue()
        // 40 descriptors of 4 KiB each: 160 KiB, more than a frame may be.
        for i in 0..<40 {
            let (b, _) = ring.buffer(4096)
            ring.setDesc(i, addr: b, len: 4096, flags: i < 39 ? 1 : 0, next: UInt16(i + 1))
        }
        ring.makeAvailable(0)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.oversize))
        // A single descriptor claiming 4 GiB - 1.
        ring.setDesc(50, addr: TestRing.guestBase, len: .max, flags: 0)
        ring.makeAvailable(50)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.oversize))
        #expect(q.faults(.oversize) == 2)
    }

    @Test func tooManySegmentsIsRefused() throws {
        let ring = TestRing()
        let q = try ring.queue()
        for i in 0..<(SplitVirtqueue.maxSegments + 1) {
            let (b, _) = ring.buffer(16)
            ring.setDesc(i, addr: b, len: 16, flags: i < SplitVirtqueue.maxSegments ? 1 : 0, next: UInt16(i + 1))
        }
        ring.makeAvailable(0)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.loop))
    }

    @Test func badIndexesAreRefused() throws {
        let ring = TestRing(size: 16)
        let q = try ring.queue()
        ring.makeAvailable(16)  // head outside the table
        let (b, _) = ring.buffer(16)
        ring.setDesc(1, addr: b, len: 16, flags: 1, next: 999)  // next outside the table
        ring.makeAvailable(1)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.badIndex))
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.badIndex))
        #expect(q.faults(.badIndex) == 2)
        // avail.idx jumping more than the ring size ahead: the ring is broken, nothing more is taken.
        ring.setAvailIdx(ring.availIdx &+ 17)
        #expect(q.pending() == 0)
        #expect(q.broken)
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .empty)
    }

    @Test func wrongDirectionAndIndirectAreRefused() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let (b, _) = ring.buffer(64)
        ring.setDesc(0, addr: b, len: 64, flags: 2)  // device-writable on a transmit queue
        ring.makeAvailable(0)
        ring.setDesc(1, addr: b, len: 64, flags: 4)  // indirect (not negotiated)
        ring.makeAvailable(1)
        ring.setDesc(2, addr: b, len: 4, flags: 0)   // shorter than the virtio-net header
        ring.makeAvailable(2)
        for _ in 0..<3 {
            #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000) == .fault(.badDescriptor))
        }
        q.publish()
        #expect(ring.usedIdx == 3)
    }

    @Test func ringsOutsideMemoryOrMisalignedAreRefused() throws {
        let ring = TestRing()
        var a = ring.address
        a.used = TestRing.userBase + UInt64(TestRing.regionSize) - 8
        #expect(throws: VhostUserError.self) {
            try SplitVirtqueue(index: 0, size: 256, address: a, memory: ring.memory, base: 0, eventIdx: false)
        }
        a = ring.address
        a.desc += 8
        #expect(throws: VhostUserError.self) {
            try SplitVirtqueue(index: 0, size: 256, address: a, memory: ring.memory, base: 0, eventIdx: false)
        }
        #expect(throws: VhostUserError.self) {
            try SplitVirtqueue(index: 0, size: 100, address: ring.address, memory: ring.memory, base: 0, eventIdx: false)
        }
    }

    @Test func garbageRingsNeverCrash() throws {
        // Random descriptor tables and avail entries: every pop ends, with a chain or a fault.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let ring = TestRing(size: 64)
            for i in 0..<64 {
                let addr: UInt64 = Bool.random() ? TestRing.guestBase + UInt64.random(in: 0..<UInt64(TestRing.regionSize), using: &rng) : .random(in: 0...UInt64.max, using: &rng)
                ring.setDesc(i, addr: addr, len: .random(in: 0...5000, using: &rng), flags: .random(in: 0...7, using: &rng),
                             next: .random(in: 0...80, using: &rng))
            }
            for _ in 0..<64 { ring.makeAvailable(.random(in: 0...70, using: &rng)) }
            let q = try ring.queue()
            var n = 0
            while q.pending() > 0 { _ = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000); n += 1 }
            #expect(n == 64)
            q.publish()
        }
    }
}
