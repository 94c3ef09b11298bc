import TapestryModel

/// Builds Ethernet frames for tests: untagged or 802.1Q-tagged, with a payload.
public enum FrameBuilder {
    /// A frame `dst src [8100 tci] ethertype payload`; `vlan` adds a tag (with `pcp` priority).
    public static func ethernet(dst: MACAddress, src: MACAddress, vlan: UInt16? = nil, pcp: UInt8 = 0,
                                ethertype: UInt16 = 0x0800, payload: [UInt8] = Array(repeating: 0xAB, count: 46)) -> [UInt8] {
        var f = dst.octets + src.octets
        if let vlan {
            let tci = UInt16(pcp) << 13 | vlan
            f += [0x81, 0x00, UInt8(tci >> 8), UInt8(tci & 0xFF)]
        }
        f += [UInt8(ethertype >> 8), UInt8(ethertype & 0xFF)]
        return f + payload
    }

    /// `52:54:00:00:00:NN`-style addresses for tests.
    public static func mac(_ n: UInt64) -> MACAddress { MACAddress(rawValue: 0x5254_0000_0000 | n) }
}
