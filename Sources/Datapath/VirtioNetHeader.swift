/// The 10-byte virtio_net_hdr that taps (IFF_VNET_HDR) and AF_PACKET (PACKET_VNET_HDR) put
/// before each frame: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little endian).
enum VirtioNetHeader {
    static let needsChecksum: UInt8 = 1

    /// Moves csum_start by `delta` bytes when the frame's checksum is unfinished (a tag was added or removed).
    @inline(__always)
    static func shiftChecksumStart(_ hdr: UnsafeMutableRawPointer, by delta: Int) {
        guard hdr.load(as: UInt8.self) & needsChecksum != 0 else { return }
        let start = UInt16(littleEndian: (hdr + 6).loadUnaligned(as: UInt16.self))
        (hdr + 6).storeBytes(of: UInt16(truncatingIfNeeded: Int(start) + delta).littleEndian, toByteOffset: 0, as: UInt16.self)
    }
}
