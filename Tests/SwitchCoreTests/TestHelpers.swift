import SwitchCore
import TapestryModel
import TestSupport

/// Shorthands shared by the SwitchCore tests.
enum T {
    static func vlan(_ n: Int) -> VLANID { VLANID(n)! }
    static func set(_ text: String) -> VLANSet { try! VLANSet.parse(text) }

    static func access(_ name: String, _ v: Int, isolated: Bool = false) -> PortConfig {
        PortConfig(name: name, type: .tap, vlan: vlan(v), isolated: isolated)
    }

    static func trunk(_ name: String, _ allowed: String?, native: Int? = nil, mode: NativeMode? = nil,
                      isolated: Bool = false) -> PortConfig {
        PortConfig(name: name, type: .tap, trunk: allowed.map(set), native: native.map(vlan), nativeMode: mode,
                   isolated: isolated)
    }

    /// A port with no VLAN settings (trunk of all VLANs, native 1 untagged).
    static func plain(_ name: String, isolated: Bool = false) -> PortConfig {
        PortConfig(name: name, type: .tap, isolated: isolated)
    }

    static func bridge(_ ports: [PortConfig], mode: BridgeMode = .learning, aging: Int = 300, size: Int = 8192,
                       statics: [StaticMAC] = []) -> InMemorySwitch {
        InMemorySwitch(BridgeConfig(name: "br0", mode: mode, macAging: aging, macTableSize: size, ports: ports,
                                    staticMACs: statics))
    }

    static func mac(_ n: UInt64) -> MACAddress { FrameBuilder.mac(n) }

    static func frame(to dst: MACAddress, from src: MACAddress, vlan: UInt16? = nil, pcp: UInt8 = 0) -> [UInt8] {
        FrameBuilder.ethernet(dst: dst, src: src, vlan: vlan, pcp: pcp)
    }

    static func ports(_ out: [(port: String, frame: [UInt8])]) -> [String] { out.map(\.port).sorted() }
}

/// A deterministic PRNG (SplitMix64) so random tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5E9_B5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SplitMix64 {
    /// A random locally administered unicast MAC (02:xx:...), never zero, never multicast.
    mutating func unicastMAC() -> MACAddress {
        MACAddress(rawValue: 0x0200_0000_0000 | (next() & 0x00FF_FFFF_FFFF) | 1)
    }
}
