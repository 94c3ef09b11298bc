/// One vhost-user message: the 12-byte header (request, flags, size), the payload and the fds
/// that came with it (SCM_RIGHTS). Decoding is pure and refuses anything malformed with a reason.
public struct VhostUserMessage: Sendable {
    public static let headerSize = 12
    /// The largest payload read; a bigger size in a header ends the connection.
    public static let maxPayload = 4096
    public static let versionMask: UInt32 = 0x3
    public static let version: UInt32 = 0x1
    public static let replyFlag: UInt32 = 0x4
    public static let needReplyFlag: UInt32 = 0x8
    /// Bit 8 of the u64 of SET_VRING_KICK/CALL/ERR: no fd comes with the message.
    public static let noFDFlag: UInt64 = 1 << 8

    public var request: VhostUserRequest
    public var flags: UInt32
    public var payload: [UInt8]
    public var fds: [Int32]

    public init(request: VhostUserRequest, flags: UInt32 = VhostUserMessage.version, payload: [UInt8] = [], fds: [Int32] = []) {
        self.request = request; self.flags = flags; self.payload = payload; self.fds = fds
    }

    public var needsReply: Bool { flags & VhostUserMessage.needReplyFlag != 0 }

    /// Parses a header: (request, flags, payload size). Refuses a wrong version or an oversized payload.
    public static func parseHeader(_ b: [UInt8]) throws(VhostUserError) -> (VhostUserRequest, UInt32, Int) {
        guard b.count >= headerSize else { throw VhostUserError("short message header (\(b.count) bytes)") }
        let request = VhostUserRequest(code: b.u32(at: 0))
        let flags = b.u32(at: 4)
        let size = Int(b.u32(at: 8))
        guard flags & versionMask == version else {
            throw VhostUserError("\(request.name): unsupported protocol version \(flags & versionMask)")
        }
        guard size <= maxPayload else { throw VhostUserError("\(request.name): payload of \(size) bytes is too large") }
        return (request, flags, size)
    }

    /// The bytes of a reply to this message: the header with the reply flag, then `payload`.
    public func reply(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(VhostUserMessage.headerSize + payload.count)
        out.appendU32(request.code)
        out.appendU32(VhostUserMessage.version | VhostUserMessage.replyFlag)
        out.appendU32(UInt32(payload.count))
        out += payload
        return out
    }

    /// The encoded message (for tests and the client side).
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.appendU32(request.code); out.appendU32(flags); out.appendU32(UInt32(payload.count))
        return out + payload
    }

    // MARK: - payloads

    public func u64() throws(VhostUserError) -> UInt64 {
        guard payload.count >= 8 else { throw VhostUserError("\(request.name): payload of \(payload.count) bytes, expected 8") }
        return payload.u64(at: 0)
    }

    /// struct vhost_vring_state: index, num.
    public func vringState() throws(VhostUserError) -> (index: Int, num: UInt32) {
        guard payload.count >= 8 else { throw VhostUserError("\(request.name): payload of \(payload.count) bytes, expected 8") }
        return (Int(payload.u32(at: 0)), payload.u32(at: 4))
    }

    /// struct vhost_vring_addr: index, flags, desc/used/avail user addresses, log guest address.
    public func vringAddress() throws(VhostUserError) -> VringAddress {
        guard payload.count >= 40 else { throw VhostUserError("\(request.name): payload of \(payload.count) bytes, expected 40") }
        return VringAddress(index: Int(payload.u32(at: 0)), flags: payload.u32(at: 4), desc: payload.u64(at: 8),
                            used: payload.u64(at: 16), avail: payload.u64(at: 24), log: payload.u64(at: 32))
    }

    /// The memory regions of SET_MEM_TABLE (one fd each, in order).
    public func memoryTable() throws(VhostUserError) -> [MemoryRegionDescription] {
        guard payload.count >= 8 else { throw VhostUserError("SET_MEM_TABLE: payload of \(payload.count) bytes") }
        let n = Int(payload.u32(at: 0))
        guard n >= 1, n <= GuestMemory.maxRegions else { throw VhostUserError("SET_MEM_TABLE: \(n) regions (1-\(GuestMemory.maxRegions) allowed)") }
        guard payload.count >= 8 + 32 * n else { throw VhostUserError("SET_MEM_TABLE: payload of \(payload.count) bytes for \(n) regions") }
        guard fds.count == n else { throw VhostUserError("SET_MEM_TABLE: \(n) regions but \(fds.count) fds") }
        var list: [MemoryRegionDescription] = []
        for i in 0..<n {
            let o = 8 + 32 * i
            let r = MemoryRegionDescription(guestPhysical: payload.u64(at: o), size: payload.u64(at: o + 8),
                                            userAddress: payload.u64(at: o + 16), mmapOffset: payload.u64(at: o + 24))
            try r.validate(index: i)
            list.append(r)
        }
        return list
    }

    public static func u64Payload(_ v: UInt64) -> [UInt8] { var b: [UInt8] = []; b.appendU64(v); return b }
    public static func statePayload(index: Int, num: UInt32) -> [UInt8] {
        var b: [UInt8] = []; b.appendU32(UInt32(truncatingIfNeeded: index)); b.appendU32(num); return b
    }
}

/// The addresses of one vring as SET_VRING_ADDR gives them (front-end user addresses).
public struct VringAddress: Sendable, Equatable {
    public var index: Int
    public var flags: UInt32
    public var desc: UInt64
    public var used: UInt64
    public var avail: UInt64
    public var log: UInt64

    public init(index: Int, flags: UInt32, desc: UInt64, used: UInt64, avail: UInt64, log: UInt64) {
        self.index = index; self.flags = flags; self.desc = desc; self.used = used; self.avail = avail; self.log = log
    }
}

/// One region of SET_MEM_TABLE: guest-physical start, size, the front-end's user address and the
/// offset of the region in the fd.
public struct MemoryRegionDescription: Sendable, Equatable {
    public var guestPhysical: UInt64
    public var size: UInt64
    public var userAddress: UInt64
    public var mmapOffset: UInt64

    public init(guestPhysical: UInt64, size: UInt64, userAddress: UInt64, mmapOffset: UInt64) {
        self.guestPhysical = guestPhysical; self.size = size; self.userAddress = userAddress; self.mmapOffset = mmapOffset
    }

    /// Refuses empty regions and ranges that wrap around or exceed the address space.
    func validate(index: Int) throws(VhostUserError) {
        let limit: UInt64 = 1 << 48
        guard size > 0, size <= limit, guestPhysical <= UInt64.max - size, userAddress <= UInt64.max - size,
              mmapOffset <= limit - size else {
            throw VhostUserError("SET_MEM_TABLE: region \(index) has a bad range (gpa \(guestPhysical), size \(size), offset \(mmapOffset))")
        }
    }
}

/// A protocol error: what was wrong with which message. Ends the connection.
public struct VhostUserError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

extension Array where Element == UInt8 {
    func u32(at o: Int) -> UInt32 {
        UInt32(self[o]) | UInt32(self[o + 1]) << 8 | UInt32(self[o + 2]) << 16 | UInt32(self[o + 3]) << 24
    }
    func u64(at o: Int) -> UInt64 { UInt64(u32(at: o)) | UInt64(u32(at: o + 4)) << 32 }
    mutating func appendU32(_ v: UInt32) { for i in 0..<4 { append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func appendU64(_ v: UInt64) { for i in 0..<8 { append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
}
