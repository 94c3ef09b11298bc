import VhostUser

/// A guest's side of one split virtqueue in memory the test allocates: descriptor table, avail and
/// used rings and a buffer area, described to the device as one region.
final class TestRing {
    static let guestBase: UInt64 = 0x1000_0000
    static let userBase: UInt64 = 0x7F00_0000_0000
    static let regionSize = 1 << 20
    static let descOffset = 0, availOffset = 0x4000, usedOffset = 0x8000, bufferOffset = 0x10000

    let base: UnsafeMutableRawPointer
    let size: Int
    let memory: GuestMemory
    var availIdx: UInt16 = 0
    var nextBuffer = TestRing.bufferOffset

    init(size: Int = 256) {
        self.size = size
        base = .allocate(byteCount: TestRing.regionSize, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: TestRing.regionSize)
        memory = GuestMemory(regions: [.init(guestPhysical: TestRing.guestBase, userAddress: TestRing.userBase,
                                             size: UInt64(TestRing.regionSize), host: base)])
    }

    deinit { base.deallocate() }

    var address: VringAddress {
        VringAddress(index: 0, flags: 0, desc: TestRing.userBase + UInt64(TestRing.descOffset),
                     used: TestRing.userBase + UInt64(TestRing.usedOffset),
                     avail: TestRing.userBase + UInt64(TestRing.availOffset), log: 0)
    }

    func queue(eventIdx: Bool = false, base: UInt16 = 0) throws -> SplitVirtqueue {
        try SplitVirtqueue(index: 1, size: size, address: address, memory: memory, base: base, eventIdx: eventIdx)
    }

    /// Writes descriptor `i`.
    func setDesc(_ i: Int, addr: UInt64, len: UInt32, flags: UInt16, next: UInt16 = 0) {
        let d = base + TestRing.descOffset + 16 * i
        d.storeBytes(of: addr.littleEndian, as: UInt64.self)
        d.storeBytes(of: len.littleEndian, toByteOffset: 8, as: UInt32.self)
        d.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
        d.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    /// Reserves `len` bytes of buffer space; returns its guest-physical address and host pointer.
    func buffer(_ len: Int, bytes: [UInt8] = []) -> (UInt64, UnsafeMutableRawPointer) {
        let off = nextBuffer
        nextBuffer += (len + 63) & ~63
        precondition(nextBuffer <= TestRing.regionSize, "test ring out of buffer space")
        let p = base + off
        for (k, b) in bytes.enumerated() { p.storeBytes(of: b, toByteOffset: k, as: UInt8.self) }
        return (TestRing.guestBase + UInt64(off), p)
    }

    /// Makes head `head` available (and bumps avail.idx).
    func makeAvailable(_ head: UInt16) {
        let a = base + TestRing.availOffset
        a.storeBytes(of: head.littleEndian, toByteOffset: 4 + 2 * Int(availIdx & UInt16(size - 1)), as: UInt16.self)
        availIdx &+= 1
        a.storeBytes(of: availIdx.littleEndian, toByteOffset: 2, as: UInt16.self)
    }

    func setAvailIdx(_ v: UInt16) {
        availIdx = v
        (base + TestRing.availOffset).storeBytes(of: v.littleEndian, toByteOffset: 2, as: UInt16.self)
    }

    var usedIdx: UInt16 { (base + TestRing.usedOffset).load(fromByteOffset: 2, as: UInt16.self).littleEndian }

    func usedEntry(_ k: Int) -> (id: UInt32, len: UInt32) {
        let e = base + TestRing.usedOffset + 4 + 8 * (k & (size - 1))
        return (e.load(as: UInt32.self).littleEndian, e.load(fromByteOffset: 4, as: UInt32.self).littleEndian)
    }

    /// A guest-to-device frame in one descriptor: a 12-byte header and `frame`.
    func postTransmit(head: Int, header: [UInt8] = [UInt8](repeating: 0, count: 12), frame: [UInt8]) {
        let (gpa, _) = buffer(header.count + frame.count, bytes: header + frame)
        setDesc(head, addr: gpa, len: UInt32(header.count + frame.count), flags: 0)
        makeAvailable(UInt16(head))
    }

    /// A device-writable receive buffer of `len` bytes in descriptor `head`.
    @discardableResult
    func postReceive(head: Int, len: Int) -> UnsafeMutableRawPointer {
        let (gpa, p) = buffer(len)
        setDesc(head, addr: gpa, len: UInt32(len), flags: 2)
        makeAvailable(UInt16(head))
        return p
    }
}

func frameBytes(_ n: Int, seed: UInt8 = 1) -> [UInt8] {
    var f = [UInt8](repeating: 0, count: n)
    for i in 0..<n { f[i] = UInt8(truncatingIfNeeded: i &* 7 &+ Int(seed)) }
    f[0] = 0x02; f[6] = 0x02  // unicast MACs
    return f
}
