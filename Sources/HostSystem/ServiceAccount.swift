#if canImport(Glibc)
import Glibc
#endif

/// The unprivileged user a helper daemon (dnsmasq, radvd) runs as after dropping root, and what
/// it may reach: its files must sit below directories it can search.
public struct ServiceAccount: Sendable, Equatable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32

    /// The account `name` from the user database (`getpwnam`); nil when there is none.
    public static func named(_ name: String) -> ServiceAccount? {
        guard let pw = getpwnam(name) else { return nil }
        return ServiceAccount(name: name, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    /// The first directory on the way to `path` this account may not search (x bit), if any.
    public func firstUnsearchableDirectory(above path: String) -> String? {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            var st = stat()
            guard stat(prefix, &st) == 0 else { return prefix }
            let mode = st.st_mode
            let ok = st.st_uid == uid ? mode & 0o100 != 0 : st.st_gid == gid ? mode & 0o010 != 0 : mode & 0o001 != 0
            if !ok { return prefix }
        }
        return nil
    }
}
