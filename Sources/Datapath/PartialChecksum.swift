import SwitchCore

/// Frames decapsulated from a tunnel may carry an unfinished TCP/UDP checksum: a peer on the
/// same host (Linux's vxlan over veth) leaves CHECKSUM_PARTIAL packets with only the
/// pseudo-header sum in the checksum field. Such a frame is recognised (the field equals the
/// pseudo-header sum and the full checksum does not verify) and handed on with NEEDS_CSUM in
/// its virtio-net header, so the receiving kernel (or the next port) finishes it.
enum PartialChecksum {
    static func markIfUnfinished(vnet: UnsafeMutableRawPointer, frame f: UnsafeRawPointer, length len: Int) {
        guard let lay = TCPSegmenter.l4Layout(f, len) else { return }
        let fieldOffset = lay.l4 + (lay.proto == 6 ? 16 : 6)
        guard fieldOffset + 2 <= len else { return }
        let l4Length = len - lay.l4
        let pseudo = Checksum.pseudoHeader(f + lay.l3, isIPv4: lay.isIPv4, protocol: lay.proto, length: l4Length)
        let field = f.loadUnaligned(fromByteOffset: fieldOffset, as: UInt16.self)
        guard field == Checksum.fold(pseudo) else { return }
        // Does the checksum verify as a complete one? (A 1 in 65536 coincidence.)
        let full = Checksum.add(f + lay.l4, l4Length, to: pseudo)
        if Checksum.fold(full) == 0xFFFF { return }
        vnet.storeBytes(of: VirtioNetHeader.needsChecksum, as: UInt8.self)
        vnet.storeBytes(of: UInt16(lay.l4).littleEndian, toByteOffset: 6, as: UInt16.self)
        vnet.storeBytes(of: UInt16(fieldOffset - lay.l4).littleEndian, toByteOffset: 8, as: UInt16.self)
    }
}
