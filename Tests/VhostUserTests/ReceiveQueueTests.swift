import Testing
import VhostUser

/// Frames given to the guest's receive queue: headers, mergeable buffers, too few buffers.
@Suite struct ReceiveQueueTests {
    func vnet(_ bytes: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]) -> [UInt8] { bytes }

    @Test func smallFrameFillsOneBufferWithNumBuffersOne() throws {
        let ring = TestRing()
        let q = try ring.queue(eventIdx: false)
        let p = ring.postReceive(head: 5, len: 2048)
        let frame = frameBytes(64)
        let h = vnet()
        let r = h.withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 64))
        } }
        #expect(r == .sent)
        #expect(q.publish())
        #expect(ring.usedIdx == 1)
        #expect(ring.usedEntry(0).id == 5 && ring.usedEntry(0).len == 76)
        #expect(Array(UnsafeRawBufferPointer(start: p, count: 10)) == h)
        #expect(p.load(fromByteOffset: 10, as: UInt16.self) == 1)
        #expect(Array(UnsafeRawBufferPointer(start: p + 12, count: 64)) == frame)
    }

    @Test func bigFrameSpreadsOverMergeableBuffers() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let bufs = (0..<4).map { ring.postReceive(head: $0, len: 1500) }
        let frame = frameBytes(4000)
        let r = vnet().withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 4000))
        } }
        #expect(r == .sent)
        q.publish()
        #expect(ring.usedIdx == 3)
        #expect(bufs[0].load(fromByteOffset: 10, as: UInt16.self) == 3)
        var got: [UInt8] = []
        for k in 0..<3 {
            let len = Int(ring.usedEntry(k).len)
            got += Array(UnsafeRawBufferPointer(start: bufs[k], count: len))
        }
        #expect(got.count == 4012)
        #expect(Array(got[12...]) == frame)
    }

    @Test func tooFewBuffersTakesNothing() throws {
        let ring = TestRing()
        let q = try ring.queue()
        ring.postReceive(head: 0, len: 1000)
        let frame = frameBytes(3000)
        let r = vnet().withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 3000))
        } }
        #expect(r == .noBuffers)
        #expect(!q.publish())
        #expect(q.pending() == 1)  // the buffer is still there for a smaller frame
        let small = frameBytes(60)
        let r2 = vnet().withUnsafeBytes { hb in small.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 60))
        } }
        #expect(r2 == .sent)
    }

    @Test func withoutMergeableATooSmallBufferRefusesTheFrame() throws {
        let ring = TestRing()
        let q = try ring.queue()
        ring.postReceive(head: 0, len: 1000)
        let frame = frameBytes(3000)
        let r = vnet().withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 10, mergeable: false, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 3000))
        } }
        #expect(r == .tooBig)
        #expect(q.pending() == 1)
    }

    @Test func tagPushedWhileCopying() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let p = ring.postReceive(head: 0, len: 2048)
        let frame = frameBytes(60)
        let tag: [UInt8] = [0x81, 0x00, 0x00, 0x0A]
        let r = vnet([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).withUnsafeBytes { hb in frame.withUnsafeBytes { fb in tag.withUnsafeBytes { tb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!,
                                   pieces: FramePieces(fb.baseAddress, 12, tb.baseAddress, 4, fb.baseAddress! + 12, 48))
        } } }
        #expect(r == .sent)
        q.publish()
        #expect(ring.usedEntry(0).len == 76)
        #expect(Array(UnsafeRawBufferPointer(start: p + 12, count: 64)) == Array(frame[0..<12]) + tag + Array(frame[12...]))
    }

    @Test func receiveBufferOutsideMemoryIsRefusedAndReturned() throws {
        let ring = TestRing()
        let q = try ring.queue()
        ring.setDesc(0, addr: 0xDEAD_0000_0000, len: 2048, flags: 2)
        ring.makeAvailable(0)
        let frame = frameBytes(60)
        let r = vnet().withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 60))
        } }
        #expect(r == .fault(.badAddress))
        q.publish()
        #expect(ring.usedIdx == 1 && ring.usedEntry(0).len == 0)
    }

    @Test func eventIndexDecidesWhetherToSignal() throws {
        let ring = TestRing()
        let q = try ring.queue(eventIdx: true)
        // used_event (after the avail ring) = 1: signal when used.idx passes 1.
        (ring.base + TestRing.availOffset).storeBytes(of: UInt16(1), toByteOffset: 4 + 2 * ring.size, as: UInt16.self)
        let frame = frameBytes(60)
        func give() -> VirtioNetTransfer.Sent {
            vnet().withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
                VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 60))
            } }
        }
        for h in 0..<3 { ring.postReceive(head: h, len: 2048) }
        #expect(give() == .sent)
        #expect(q.publish() == false)  // used.idx 0 → 1 does not pass used_event 1
        #expect(give() == .sent)
        #expect(q.publish() == true)   // 1 → 2 passes it
        // Kicks: enableKicks puts avail_event at the next entry to take.
        q.enableKicks()
        #expect((ring.base + TestRing.usedOffset).load(fromByteOffset: 4 + 8 * ring.size, as: UInt16.self) == 2)
    }
}
