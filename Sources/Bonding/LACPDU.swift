/// LACP actor/partner state bits (IEEE 802.1AX-2014 6.4.2.3).
public struct LACPState: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let activity = LACPState(rawValue: 0x01)
    /// Short timeout (fast rate: a LACPDU every second, 3 s to expire).
    public static let shortTimeout = LACPState(rawValue: 0x02)
    public static let aggregation = LACPState(rawValue: 0x04)
    public static let synchronization = LACPState(rawValue: 0x08)
    public static let collecting = LACPState(rawValue: 0x10)
    public static let distributing = LACPState(rawValue: 0x20)
    public static let defaulted = LACPState(rawValue: 0x40)
    public static let expired = LACPState(rawValue: 0x80)
}

/// One side's information in a LACPDU (actor or partner TLV).
public struct LACPParticipant: Equatable, Sendable {
    public var systemPriority: UInt16
    public var system: [UInt8]
    public var key: UInt16
    public var portPriority: UInt16
    public var port: UInt16
    public var state: LACPState

    public init(systemPriority: UInt16 = 65535, system: [UInt8] = [0, 0, 0, 0, 0, 0], key: UInt16 = 0, portPriority: UInt16 = 255,
                port: UInt16 = 0, state: LACPState = []) {
        self.systemPriority = systemPriority; self.system = system; self.key = key; self.portPriority = portPriority
        self.port = port; self.state = state
    }

    /// The link aggregation group this side belongs to: (system priority, system, key).
    public func sameGroup(_ o: LACPParticipant) -> Bool { systemPriority == o.systemPriority && system == o.system && key == o.key }
}

/// A LACPDU (802.1AX-2014 6.4.2): slow protocols frame to 01:80:C2:00:00:02, EtherType 0x8809, subtype 1.
public struct LACPDU: Equatable, Sendable {
    public var actor: LACPParticipant
    public var partner: LACPParticipant
    public var collectorMaxDelay: UInt16 = 0
    public init(actor: LACPParticipant, partner: LACPParticipant) { self.actor = actor; self.partner = partner }
}

/// Why a received LACPDU was ignored.
public enum LACPDUError: Error, Equatable, Sendable {
    case truncated(Int)
    case notLACP
    case badTLV(type: UInt8, length: UInt8)
}

/// The LACPDU wire format. Pure.
public enum LACPDUCodec {
    public static let slowProtocolsAddress: [UInt8] = [0x01, 0x80, 0xC2, 0x00, 0x00, 0x02]
    static let frameLength = 14 + 110

    public static func encode(_ pdu: LACPDU, source: [UInt8]) -> [UInt8] {
        var f = slowProtocolsAddress + source.prefix(6) + [0x88, 0x09, 0x01, 0x01]
        for (type, p) in [(UInt8(1), pdu.actor), (2, pdu.partner)] {
            f += [type, 20]
            put16(&f, p.systemPriority); f += p.system.prefix(6); put16(&f, p.key)
            put16(&f, p.portPriority); put16(&f, p.port); f.append(p.state.rawValue); f += [0, 0, 0]
        }
        f += [3, 16]; put16(&f, pdu.collectorMaxDelay); f += [UInt8](repeating: 0, count: 12)
        f += [0, 0] + [UInt8](repeating: 0, count: 50)
        return f
    }

    public static func decode(_ f: UnsafeRawBufferPointer) -> Result<LACPDU, LACPDUError> {
        guard f.count >= 14 + 4 else { return .failure(.truncated(f.count)) }
        guard f[12] == 0x88, f[13] == 0x09, f[14] == 0x01 else { return .failure(.notLACP) }
        guard f.count >= 14 + 4 + 2 * 20 + 16 + 2 else { return .failure(.truncated(f.count)) }
        var participants: [LACPParticipant] = []
        var o = 16
        for expected in [UInt8(1), 2] {
            guard f[o] == expected, f[o + 1] == 20 else { return .failure(.badTLV(type: f[o], length: f[o + 1])) }
            let b = o + 2
            participants.append(LACPParticipant(systemPriority: get16(f, b), system: (0..<6).map { f[b + 2 + $0] }, key: get16(f, b + 8),
                                                portPriority: get16(f, b + 10), port: get16(f, b + 12),
                                                state: LACPState(rawValue: f[b + 14])))
            o += 20
        }
        guard f[o] == 3, f[o + 1] == 16 else { return .failure(.badTLV(type: f[o], length: f[o + 1])) }
        var pdu = LACPDU(actor: participants[0], partner: participants[1])
        pdu.collectorMaxDelay = get16(f, o + 2)
        return .success(pdu)
    }

    private static func put16(_ a: inout [UInt8], _ v: UInt16) { a += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    private static func get16(_ f: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(f[o]) << 8 | UInt16(f[o + 1]) }
}
