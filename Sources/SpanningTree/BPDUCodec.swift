/// Why a received BPDU was ignored.
public enum BPDUError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(Int)
    case notSpanningTree
    case badProtocol(UInt16)
    case badVersion(kind: UInt8, version: UInt8)
    case absurdTimers(STPTimes)

    public var description: String {
        switch self {
        case .truncated(let n): "truncated BPDU (\(n) bytes)"
        case .notSpanningTree: "not a spanning tree BPDU (no 802.2 LLC 42 42 03)"
        case .badProtocol(let p): "protocol identifier \(p), not 0"
        case .badVersion(let k, let v): "BPDU type \(k) with version \(v)"
        case .absurdTimers(let t):
            "absurd timers (message age \(t.messageAge), max age \(t.maxAge), hello \(t.hello), forward delay \(t.forwardDelay))"
        }
    }
}

/// The wire format of BPDUs (802.1D-2004 clause 9.3): an 802.3 frame to 01:80:C2:00:00:00 with a
/// length field, an 802.2 LLC header (DSAP 0x42, SSAP 0x42, UI) and the BPDU. Timers travel in
/// 1/256 s. Pure: encodes to bytes and decodes from borrowed bytes.
public enum BPDUCodec {
    public static let groupAddress: [UInt8] = [0x01, 0x80, 0xC2, 0x00, 0x00, 0x00]

    /// Whether `frame` (from its Ethernet header) is addressed to the spanning tree group.
    public static func isSpanningTreeFrame(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count >= 6 else { return false }
        for i in 0..<6 where frame[i] != groupAddress[i] { return false }
        return true
    }

    /// The whole frame for `bpdu`, sent from `source`, padded to 60 bytes.
    public static func encode(_ bpdu: BPDU, source: [UInt8]) -> [UInt8] {
        var body: [UInt8] = [0, 0, bpdu.kind == .rst ? 2 : 0, bpdu.kind.rawValue]
        if bpdu.kind != .tcn {
            body.append(bpdu.kind == .config ? bpdu.flags & 0x81 : bpdu.flags)
            put64(&body, bpdu.root.value)
            put32(&body, bpdu.rootPathCost)
            put64(&body, bpdu.bridge.value)
            put16(&body, bpdu.port.value)
            for t in [bpdu.times.messageAge, bpdu.times.maxAge, bpdu.times.hello, bpdu.times.forwardDelay] {
                put16(&body, UInt16(clamping: t * 256))
            }
            if bpdu.kind == .rst { body.append(0) }  // version 1 length
        }
        var frame = groupAddress + source.prefix(6)
        put16(&frame, UInt16(body.count + 3))
        frame += [0x42, 0x42, 0x03] + body
        if frame.count < 60 { frame += [UInt8](repeating: 0, count: 60 - frame.count) }
        return frame
    }

    /// Reads a BPDU from a frame (from its Ethernet header), checking lengths, protocol, version
    /// and that its timers are sane (802.1D-2004 9.3.4 and the ranges of 17.14).
    public static func decode(_ frame: UnsafeRawBufferPointer) -> Result<BPDU, BPDUError> {
        guard frame.count >= 14 + 3 + 4 else { return .failure(.truncated(frame.count)) }
        let length = Int(frame[12]) << 8 | Int(frame[13])
        guard length <= 1500, frame[14] == 0x42, frame[15] == 0x42, frame[16] == 0x03 else { return .failure(.notSpanningTree) }
        let end = min(frame.count, 14 + length)
        let b = 17
        let available = end - b
        guard available >= 4 else { return .failure(.truncated(frame.count)) }
        let proto = UInt16(frame[b]) << 8 | UInt16(frame[b + 1])
        guard proto == 0 else { return .failure(.badProtocol(proto)) }
        let version = frame[b + 2], type = frame[b + 3]
        var bpdu: BPDU
        switch type {
        case 0x80: return .success(BPDU(kind: .tcn, version: version))
        case 0x00:
            guard available >= 35 else { return .failure(.truncated(frame.count)) }
            bpdu = BPDU(kind: .config, version: version)
        case 0x02:
            guard version >= 2 else { return .failure(.badVersion(kind: type, version: version)) }
            guard available >= 36 else { return .failure(.truncated(frame.count)) }
            bpdu = BPDU(kind: .rst, version: version)
        default: return .failure(.badVersion(kind: type, version: version))
        }
        bpdu.setFlags(frame[b + 4])
        if bpdu.kind == .config {
            // Only TC and TCA mean something in a configuration BPDU; its sender acts as designated.
            let f = frame[b + 4]
            bpdu.setFlags(f & 0x81)
            bpdu.role = .designated
        }
        bpdu.root = BridgeIdentifier(value: get64(frame, b + 5))
        bpdu.rootPathCost = UInt32(truncatingIfNeeded: get64(frame, b + 13) >> 32)
        bpdu.bridge = BridgeIdentifier(value: get64(frame, b + 17))
        bpdu.port = PortIdentifier(value: UInt16(frame[b + 25]) << 8 | UInt16(frame[b + 26]))
        func t(_ o: Int) -> Int { (Int(frame[b + o]) << 8 | Int(frame[b + o + 1])) / 256 }
        let times = STPTimes(messageAge: t(27), maxAge: t(29), hello: t(31), forwardDelay: t(33))
        guard (6...40).contains(times.maxAge), (1...10).contains(times.hello), (4...30).contains(times.forwardDelay),
              times.messageAge < times.maxAge else { return .failure(.absurdTimers(times)) }
        bpdu.times = times
        return .success(bpdu)
    }

    private static func put16(_ a: inout [UInt8], _ v: UInt16) { a += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    private static func put32(_ a: inout [UInt8], _ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { a.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    private static func put64(_ a: inout [UInt8], _ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { a.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    private static func get64(_ f: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(o + i < f.count ? f[o + i] : 0) }
        return v
    }
}
