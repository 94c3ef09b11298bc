import Testing
import VhostUser

/// The one-descriptor paths (a frame and its header in one buffer, which is what DPDK and Linux use
/// for small frames): a batch of them with a bad chain in the middle delivers the good ones before
/// and after it, refuses and counts the bad one, returns its buffer, and ends at an empty ring.
@Suite struct SingleBufferPathTests {
    let dest = UnsafeMutableRawPointer.allocate(byteCount: 70_000, alignment: 64)

    @Test func transmitBatchWithBadChainsInTheMiddle() throws {
        let ring = TestRing()
        let q = try ring.queue(eventIdx: true)
        let frames = (0..<6).map { frameBytes(64 + $0, seed: UInt8($0)) }
        for (k, f) in frames.enumerated() {
            var header = [UInt8](repeating: 0, count: 12)
            header[0] = UInt8(k); header[9] = 0x5A  // distinct headers, the last base-header byte set
            ring.postTransmit(head: 10 + k, header: header, frame: f)
            if k == 1 {
                ring.setDesc(40, addr: TestRing.guestBase + UInt64(TestRing.regionSize) - 20, len: 76, flags: 0)  // past the region
                ring.makeAvailable(40)
            }
            if k == 3 {
                ring.setDesc(41, addr: TestRing.guestBase + 0x20000, len: 0, flags: 0)  // no bytes at all
                ring.makeAvailable(41)
            }
        }
        var got: [[UInt8]] = []
        var results: [VirtioNetTransfer.Received] = []
        for _ in 0..<20 {
            let r = VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 70_000)
            if r == .empty { break }
            results.append(r)
            if case .frame(let length) = r {
                #expect(dest.load(fromByteOffset: 0, as: UInt8.self) == UInt8(got.count))
                #expect(dest.load(fromByteOffset: 9, as: UInt8.self) == 0x5A)
                got.append(Array(UnsafeRawBufferPointer(start: dest + 10, count: length - 10)))
            }
        }
        #expect(results.count == 8)
        #expect(results[2] == .fault(.badAddress) && results[5] == .fault(.badDescriptor))
        #expect(got == frames)
        #expect(q.faults(.badAddress) == 1 && q.faults(.badDescriptor) == 1)
        q.publish()
        #expect(ring.usedIdx == 8)
        #expect((0..<8).map { ring.usedEntry($0).id } == [10, 11, 40, 12, 13, 41, 14, 15])
    }

    @Test func receiveBatchWithBadBufferInTheMiddle() throws {
        let ring = TestRing()
        let q = try ring.queue(eventIdx: true)
        let b0 = ring.postReceive(head: 0, len: 2048)
        let b1 = ring.postReceive(head: 1, len: 2048)
        ring.setDesc(2, addr: 0x10, len: 2048, flags: 2)  // below the region
        ring.makeAvailable(2)
        let b3 = ring.postReceive(head: 3, len: 2048)
        let h: [UInt8] = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0]
        let frames = (0..<4).map { frameBytes(60 + $0, seed: UInt8(9 + $0)) }
        var results: [VirtioNetTransfer.Sent] = []
        for f in frames {
            results.append(h.withUnsafeBytes { hb in f.withUnsafeBytes { fb in
                VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!,
                                       pieces: FramePieces(fb.baseAddress, fb.count))
            } })
        }
        #expect(results == [.sent, .sent, .fault(.badAddress), .sent])
        #expect(q.faults(.badAddress) == 1)
        // A fifth frame finds no buffer: nothing taken, no hang.
        let fifth = frameBytes(64)
        let r = h.withUnsafeBytes { hb in fifth.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: true, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 64))
        } }
        #expect(r == .noBuffers)
        q.publish()
        #expect(ring.usedIdx == 4)
        #expect((0..<4).map { ring.usedEntry($0).id } == [0, 1, 2, 3])
        #expect((0..<4).map { ring.usedEntry($0).len } == [72, 73, 0, 75])
        for (p, f) in [(b0, frames[0]), (b1, frames[1]), (b3, frames[3])] {
            #expect(Array(UnsafeRawBufferPointer(start: p, count: 10)) == h)
            #expect(p.load(fromByteOffset: 10, as: UInt16.self) == UInt16(1).littleEndian)
            #expect(Array(UnsafeRawBufferPointer(start: p + 12, count: f.count)) == f)
        }
    }

    @Test func legacyTenByteHeaderInOneBuffer() throws {
        let ring = TestRing()
        let q = try ring.queue()
        let p = ring.postReceive(head: 7, len: 128)
        p.initializeMemory(as: UInt8.self, repeating: 0xEE, count: 128)
        let h: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3]
        let frame = frameBytes(64)
        let tag: [UInt8] = [0x81, 0, 0, 5]
        // Three pieces (a tag pushed while copying), no num_buffers field.
        let r = h.withUnsafeBytes { hb in frame.withUnsafeBytes { fb in tag.withUnsafeBytes { tb in
            VirtioNetTransfer.send(to: q, headerLength: 10, mergeable: false, vnet: hb.baseAddress!,
                                   pieces: FramePieces(fb.baseAddress, 12, tb.baseAddress, 4, fb.baseAddress! + 12, 52))
        } } }
        #expect(r == .sent)
        q.publish()
        #expect(ring.usedEntry(0).id == 7 && ring.usedEntry(0).len == 78)
        #expect(Array(UnsafeRawBufferPointer(start: p, count: 10)) == h)
        #expect(Array(UnsafeRawBufferPointer(start: p + 10, count: 68)) == Array(frame[0..<12]) + tag + Array(frame[12...]))
        #expect(p.load(fromByteOffset: 78, as: UInt8.self) == 0xEE)  // nothing written past the frame
        // And the same header length out of a transmit queue.
        let tx = TestRing()
        let tq = try tx.queue()
        tx.postTransmit(head: 2, header: Array(h), frame: frame)
        #expect(VirtioNetTransfer.receive(from: tq, headerLength: 10, into: dest, capacity: 70_000) == .frame(length: 74))
        #expect(Array(UnsafeRawBufferPointer(start: dest, count: 74)) == h + frame)
    }

    @Test func tooSmallSingleBufferWithoutMergeableIsRefusedUntouched() throws {
        let ring = TestRing()
        let q = try ring.queue()
        ring.postReceive(head: 0, len: 40)
        let h = [UInt8](repeating: 0, count: 10)
        let frame = frameBytes(64)
        let r = h.withUnsafeBytes { hb in frame.withUnsafeBytes { fb in
            VirtioNetTransfer.send(to: q, headerLength: 12, mergeable: false, vnet: hb.baseAddress!, pieces: FramePieces(fb.baseAddress, 64))
        } }
        #expect(r == .tooBig)
        #expect(q.publish() == false)
        #expect(ring.usedIdx == 0)
    }
}
