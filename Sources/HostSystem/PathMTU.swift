import CTapestryShims

/// The path MTU the kernel would use to reach an address (`ip route get` + the device MTU).
public enum PathMTU {
    /// nil when there is no route.
    public static func towards(_ ipv4: UInt32) -> Int? {
        let m = tp_path_mtu(ipv4)
        return m > 0 ? Int(m) : nil
    }
}
