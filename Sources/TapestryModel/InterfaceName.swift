/// Linux netdev naming rules (the kernel's `dev_valid_name`), applied to bridge, port and netns names.
public enum InterfaceName {
    /// The longest name the kernel accepts (IFNAMSIZ - 1).
    public static let maxLength = 15

    /// Throws a message naming `what` (e.g. "port name") when `name` breaks Linux's rules.
    public static func validate(_ name: String, what: String) throws(ModelError) {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { throw ModelError("invalid \(what) '': must not be empty") }
        if bytes.count > maxLength {
            throw ModelError("invalid \(what) '\(name)': longer than \(maxLength) bytes (\(bytes.count))")
        }
        if name == "." || name == ".." { throw ModelError("invalid \(what) '\(name)': reserved name") }
        for b in bytes where b == UInt8(ascii: "/") || b == UInt8(ascii: ":") || b <= 0x20 || b == 0x7F {
            throw ModelError("invalid \(what) '\(name)': must not contain '/', ':', whitespace or control characters")
        }
        // Names end up in nftables rules, dnsmasq configs and command lines: only a quiet character set.
        for b in bytes where !(isSafe(b)) {
            throw ModelError("invalid \(what) '\(name)': use letters, digits and '-', '_', '.', '+' only")
        }
    }

    static func isSafe(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "+")
    }

    /// Network namespace names live in /run/netns: same file-name rules, up to 255 bytes.
    public static func validateNamespace(_ name: String) throws(ModelError) {
        let bytes = Array(name.utf8)
        let allowed = { (b: UInt8) in isSafe(b) || b == UInt8(ascii: ":") || b == UInt8(ascii: "@") }
        if bytes.isEmpty || bytes.count > 255 || name == "." || name == ".." || !bytes.allSatisfy(allowed) {
            throw ModelError("invalid network namespace name '\(name)'")
        }
    }
}
