import CTapestryShims
import Glibc
import Testing
import VhostUser

/// The protocol state machine: negotiation, memory table from a real fd, vrings started and
/// stopped, bad messages refused; every fd it was given is closed or kept, none leaks.
@Suite struct SessionTests {
    final class Datapath: @unchecked Sendable {
        var queues: VhostUserQueues?
        var installs = 0
    }

    func makeSession() -> (VhostUserSession, Datapath) {
        let dp = Datapath()
        let s = VhostUserSession { body in dp.queues = body(dp.queues); dp.installs += 1 }
        return (s, dp)
    }

    func msg(_ r: VhostUserRequest, _ payload: [UInt8] = [], fds: [Int32] = [], needReply: Bool = false) -> VhostUserMessage {
        VhostUserMessage(request: r, flags: 1 | (needReply ? VhostUserMessage.needReplyFlag : 0), payload: payload, fds: fds)
    }

    func u64(_ v: UInt64) -> [UInt8] { VhostUserMessage.u64Payload(v) }

    /// A 1 MiB shared-memory fd (memfd) the "guest" and the test both see.
    func memfd() -> Int32 {
        var template = Array("/dev/shm/tapestry-vhost-test-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0 && ftruncate(fd, 1 << 20) == 0, "shared memory file")
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    func memTable(gpa: UInt64, uaddr: UInt64, size: UInt64) -> [UInt8] {
        var b = [UInt8](); b += u64(1)  // nregions (u32) + padding
        b += u64(gpa); b += u64(size); b += u64(uaddr); b += u64(0)
        return b
    }

    /// An fd handed to the session, with a duplicate the test keeps. Whether the session still holds
    /// it is asked of the open file, not of the number: once the session closes the number, a test
    /// running in parallel (the same process) may be given it for a file of its own.
    final class Handed {
        let fd: Int32
        private let reference: Int32

        init(_ fd: Int32) {
            self.fd = fd
            reference = fcntl(fd, F_DUPFD_CLOEXEC, 0)
            precondition(reference >= 0, "dup of fd \(fd)")
        }

        deinit { close(reference) }

        /// The number still names the file handed over.
        var isOpen: Bool {
            guard fcntl(fd, F_GETFD) >= 0 else { return false }
            let same = tp_same_open_file(fd, reference)
            if same >= 0 { return same == 1 }
            // No kcmp: the same inode (exact for the shared-memory files, which the reference keeps alive).
            var a = stat(), b = stat()
            return fstat(fd, &a) == 0 && fstat(reference, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
        }
    }

    @Test func aHandedFdIsJudgedByItsFileNotItsNumber() {
        let closed = Handed(memfd())
        #expect(closed.isOpen)
        close(closed.fd)
        #expect(!closed.isOpen)
        // The number given to another file at once (dup2 closes and reuses it atomically, so no
        // number of a test running in parallel is touched): as if another test opened one.
        let h = Handed(memfd()), other = memfd()
        defer { close(other); close(h.fd) }
        #expect(dup2(other, h.fd) == h.fd)
        #expect(fcntl(h.fd, F_GETFD) >= 0 && !h.isOpen, "fd \(h.fd) names another file now")
        // Eventfds share one inode: only kcmp tells them apart.
        let e = Handed(tp_eventfd_create()), f = tp_eventfd_create()
        defer { close(f); close(e.fd) }
        #expect(e.isOpen)
        if tp_same_open_file(e.fd, e.fd) == 1 {
            #expect(dup2(f, e.fd) == e.fd)
            #expect(!e.isOpen, "eventfd \(e.fd) names another eventfd now")
        }
    }

    @Test func negotiationAndReplies() throws {
        let (s, _) = makeSession()
        let r = try #require(try s.handle(msg(.getFeatures)))
        #expect(r.count == 20)
        #expect(Array(r[0..<4]) == [1, 0, 0, 0] && r[4] == 0x5)
        let offered = r.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt64.self) }
        #expect(offered & VhostUserFeatures.netMrgRxbuf != 0 && offered & VhostUserFeatures.version1 != 0)
        #expect(offered & VhostUserFeatures.inOrder != 0, "IN_ORDER not offered: 0x\(String(offered, radix: 16))")
        #expect(VhostUserFeatures.names(VhostUserFeatures.inOrder) == ["in-order"])
        #expect(try s.handle(msg(.setFeatures, u64(VhostUserFeatures.version1 | VhostUserFeatures.protocolFeatures))) == nil)
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setFeatures, u64(1 << 40))) }
        #expect(try s.handle(msg(.setProtocolFeatures, u64(VhostUserFeatures.protocolReplyAck))) == nil)
        // With REPLY_ACK, a message that asks for a reply gets a zero u64.
        let ack = try #require(try s.handle(msg(.setOwner, needReply: true)))
        #expect(ack.count == 20 && ack[12] == 0)
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setVringNum, VhostUserMessage.statePayload(index: 99, num: 256))) }
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setVringNum, VhostUserMessage.statePayload(index: 0, num: 300))) }
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setVringNum, [1, 2])) }
    }

    @Test func headerParsingRefusesBadInput() throws {
        #expect(throws: VhostUserError.self) { try VhostUserMessage.parseHeader([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]) }  // version 2
        #expect(throws: VhostUserError.self) { try VhostUserMessage.parseHeader([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]) }  // 64 KiB payload
        let (r, _, size) = try VhostUserMessage.parseHeader([11, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0])
        #expect(r == .getVringBase && size == 8)
    }

    @Test func memoryTableRefusesMismatchedFdsAndClosesThem() throws {
        let (s, _) = makeSession()
        let a = Handed(memfd()), b = Handed(memfd())
        #expect(throws: VhostUserError.self) {
            try s.handle(msg(.setMemTable, memTable(gpa: 0, uaddr: 0x1000, size: 1 << 20), fds: [a.fd, b.fd]))
        }
        #expect(!a.isOpen && !b.isOpen)
        let c = Handed(memfd())
        var bad = memTable(gpa: 0, uaddr: 0x1000, size: 0)  // empty region
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setMemTable, bad, fds: [c.fd])) }
        #expect(!c.isOpen)
        let d = Handed(memfd())
        bad = memTable(gpa: UInt64.max - 10, uaddr: 0x1000, size: 4096)  // wraps
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setMemTable, bad, fds: [d.fd])) }
        #expect(!d.isOpen)
    }

    @Test func ringStartsServesAndStopsWithItsPosition() throws {
        let (s, dp) = makeSession()
        let handed = Handed(memfd())
        let fd = handed.fd
        let shared = try #require(mmap(nil, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
        defer { munmap(shared, 1 << 20) }
        let gpa: UInt64 = 0x4000_0000, uaddr: UInt64 = 0x7000_0000_0000
        _ = try s.handle(msg(.setFeatures, u64(VhostUserFeatures.version1 | VhostUserFeatures.netMrgRxbuf | VhostUserFeatures.protocolFeatures)))
        _ = try s.handle(msg(.setMemTable, memTable(gpa: gpa, uaddr: uaddr, size: 1 << 20), fds: [fd]))
        #expect(!handed.isOpen)  // mapped, then closed
        var addr = [UInt8](); addr += VhostUserMessage.statePayload(index: 1, num: 0)
        addr += u64(uaddr); addr += u64(uaddr + 0x8000); addr += u64(uaddr + 0x4000); addr += u64(0)
        _ = try s.handle(msg(.setVringNum, VhostUserMessage.statePayload(index: 1, num: 256)))
        _ = try s.handle(msg(.setVringAddr, addr))
        _ = try s.handle(msg(.setVringBase, VhostUserMessage.statePayload(index: 1, num: 0)))
        let handedKick = Handed(tp_eventfd_create()), handedCall = Handed(tp_eventfd_create())
        let kick = handedKick.fd, call = handedCall.fd
        _ = try s.handle(msg(.setVringCall, u64(1), fds: [call]))
        _ = try s.handle(msg(.setVringKick, u64(1), fds: [kick]))
        #expect(dp.queues == nil)  // protocol features negotiated: rings start disabled
        _ = try s.handle(msg(.setVringEnable, VhostUserMessage.statePayload(index: 1, num: 1)))
        let q = try #require(dp.queues?.transmit.first)
        #expect(dp.queues?.headerLength == 12 && dp.queues?.mergeable == true)
        #expect(q.kickFD == kick && q.callFD == call)
        // The guest posts two frames; the device takes them.
        for k in 0..<2 {
            let buf = shared + 0x10000 + 256 * k
            for i in 0..<72 { buf.storeBytes(of: UInt8(i), toByteOffset: i, as: UInt8.self) }
            let d = shared + 16 * k
            d.storeBytes(of: gpa + 0x10000 + UInt64(256 * k), as: UInt64.self)
            d.storeBytes(of: UInt32(72), toByteOffset: 8, as: UInt32.self)
            d.storeBytes(of: UInt16(0), toByteOffset: 12, as: UInt16.self)
            (shared + 0x4000).storeBytes(of: UInt16(k), toByteOffset: 4 + 2 * k, as: UInt16.self)
        }
        (shared + 0x4000).storeBytes(of: UInt16(2), toByteOffset: 2, as: UInt16.self)
        let dest = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        defer { dest.deallocate() }
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 2048) == .frame(length: 70))
        #expect(VirtioNetTransfer.receive(from: q, headerLength: 12, into: dest, capacity: 2048) == .frame(length: 70))
        q.publish()
        // GET_VRING_BASE stops the ring and reports where it was; the kick fd is released.
        let r = try #require(try s.handle(msg(.getVringBase, VhostUserMessage.statePayload(index: 1, num: 0))))
        #expect(r.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) } == 2)
        #expect(dp.queues == nil)
        #expect(!handedKick.isOpen)
        #expect(handedCall.isOpen)
        // The connection ends: everything released.
        s.reset()
        #expect(!handedCall.isOpen)
        #expect(s.mappedBytes == 0)
    }

    @Test func kickWithoutFdMeansPolled() throws {
        let (s, _) = makeSession()
        #expect(throws: VhostUserError.self) { try s.handle(msg(.setVringKick, u64(1))) }  // no fd, no flag
        #expect(try s.handle(msg(.setVringKick, u64(1 | VhostUserMessage.noFDFlag))) == nil)
        #expect(s.vrings[1].started && s.vrings[1].kickFD == -1)
    }
}
