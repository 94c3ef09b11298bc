import CTapestryShims
import TapestryModel

/// The path MTU the kernel would use to reach an address (`ip route get` + the device MTU).
public enum PathMTU {
    /// nil when there is no route.
    public static func towards(_ ipv4: UInt32) -> Int? {
        let m = tp_path_mtu(ipv4)
        return m > 0 ? Int(m) : nil
    }

    /// The path MTU towards an IPv4 or IPv6 address; nil when there is no route.
    public static func towards(_ address: IPAddress) -> Int? {
        if address.family == .ipv4 { return towards(address.ipv4Value) }
        var bytes = (address.high.bigEndian, address.low.bigEndian)
        let m = withUnsafeBytes(of: &bytes) { b in tp_path_mtu6(b.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return m > 0 ? Int(m) : nil
    }
}
