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
    }

    /// Network namespace names live in /run/netns: same file-name rules, up to 255 bytes.
    public static func validateNamespace(_ name: String) throws(ModelError) {
        let bytes = Array(name.utf8)
        if bytes.isEmpty || bytes.count > 255 || name == "." || name == ".."
            || bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 <= 0x20 || $0 == 0x7F }) {
            throw ModelError("invalid network namespace name '\(name)'")
        }
    }
}
