import TapestryModel

/// The Ethernet (and optional 802.1Q) header of a frame, read from borrowed bytes.
///
/// Layout: dst(6) src(6) [0x8100 TCI(2)] ethertype(2). Only the outer tag is read; an inner
/// tag (QinQ) is payload to this switch.
public struct FrameHeader: Sendable, Equatable {
    public static let tpid: UInt16 = 0x8100
    public static let ethernetHeaderLength = 14
    public static let tagLength = 4

    public var destination: MACAddress
    public var source: MACAddress
    /// True when the frame carries an 802.1Q tag (including priority tags with VID 0).
    public var isTagged: Bool
    /// The tag's VLAN id (0 for a priority tag or an untagged frame).
    public var tagVID: UInt16
    /// The tag's priority bits (PCP), kept when a tag is rewritten.
    public var tagPCP: UInt8
    /// For a tagged frame: whether the ethertype after the tag is another VLAN tag (0x8100, 0x88a8, 0x9100).
    public var hasInnerTag: Bool = false

    /// Reads the header, or says why the frame is malformed.
    @inline(__always)
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<FrameHeader, DropReason> {
        guard frame.count >= ethernetHeaderLength, let base = frame.baseAddress else { return .failure(.runt) }
        let dst = readMAC(base)
        let src = readMAC(base + 6)
        let ethertype = UInt16(base.load(fromByteOffset: 12, as: UInt8.self)) << 8
            | UInt16(base.load(fromByteOffset: 13, as: UInt8.self))
        guard ethertype == tpid else {
            return .success(FrameHeader(destination: dst, source: src, isTagged: false, tagVID: 0, tagPCP: 0))
        }
        guard frame.count >= ethernetHeaderLength + tagLength else { return .failure(.truncatedTag) }
        let tci = UInt16(base.load(fromByteOffset: 14, as: UInt8.self)) << 8
            | UInt16(base.load(fromByteOffset: 15, as: UInt8.self))
        let inner = UInt16(base.load(fromByteOffset: 16, as: UInt8.self)) << 8
            | UInt16(base.load(fromByteOffset: 17, as: UInt8.self))
        return .success(FrameHeader(destination: dst, source: src, isTagged: true, tagVID: tci & 0x0FFF,
                                    tagPCP: UInt8(tci >> 13), hasInnerTag: inner == tpid || inner == 0x88A8 || inner == 0x9100))
    }

    /// The bytes `parse` reads of a frame at least `reuseLength` (18) long lie in its first 18:
    /// destination, source, EtherType, and behind an 802.1Q EtherType the TCI and inner EtherType.
    static let reuseLength = ethernetHeaderLength + tagLength

    /// Whether the first 18 bytes at `a` and `b` are equal (destination first: where different
    /// flows differ most often). Two frames of at least 18 bytes equal there parse to the same
    /// header. Keep in step with `parse`.
    @inline(__always)
    static func sameFirst18(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
            && a.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            && a.loadUnaligned(fromByteOffset: 16, as: UInt16.self) == b.loadUnaligned(fromByteOffset: 16, as: UInt16.self)
    }

    @inline(__always)
    static func readMAC(_ p: UnsafeRawPointer) -> MACAddress {
        // Big-endian 48-bit read: 4 + 2 bytes, unaligned.
        let hi = UInt32(bigEndian: p.loadUnaligned(as: UInt32.self))
        let lo = UInt16(bigEndian: (p + 4).loadUnaligned(as: UInt16.self))
        return MACAddress(rawValue: UInt64(hi) << 16 | UInt64(lo))
    }
}

extension MACAddress {
    /// 01:80:c2:00:00:00 to 01:80:c2:00:00:0f, which 802.1D bridges must not forward.
    @inline(__always)
    public var isReservedGroup: Bool { rawValue & ~0xF == 0x0180_C200_0000 }

    /// 01:80:c2:00:00:00, where spanning tree BPDUs go.
    public static let spanningTreeGroup = MACAddress(rawValue: 0x0180_C200_0000)
}
